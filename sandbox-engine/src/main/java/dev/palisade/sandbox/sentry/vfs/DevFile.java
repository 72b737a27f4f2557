package dev.palisade.sandbox.sentry.vfs;

import java.nio.ByteBuffer;
import java.security.SecureRandom;

/** /dev/null, /dev/zero, /dev/full, /dev/random and /dev/urandom, made up in Java. */
public final class DevFile extends OpenFile {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final String name;

    public DevFile(String name, int accessMode) {
        super(accessMode);
        this.name = name;
        this.openedPath = name;
    }

    @Override
    public long read(ByteBuffer[] dst) throws FsError {
        long n = 0;
        for (ByteBuffer b : dst) {
            switch (name) {
                case "/dev/null" -> {
                    return 0;
                }
                case "/dev/random", "/dev/urandom" -> {
                    byte[] r = new byte[b.remaining()];
                    RANDOM.nextBytes(r);
                    b.put(r);
                    n += r.length;
                }
                default -> {
                    int k = b.remaining();
                    b.put(new byte[k]);
                    n += k;
                }
            }
        }
        return n;
    }

    @Override
    public long write(ByteBuffer[] src) throws FsError {
        if (name.equals("/dev/full")) {
            throw new FsError(dev.palisade.sandbox.abi.Errno.ENOSPC);
        }
        long n = total(src);
        for (ByteBuffer b : src) {
            b.position(b.limit());
        }
        return n;
    }

    @Override
    public long seek(long offset, int whence) {
        return 0;
    }

    @Override
    public FileStat stat() {
        int minor = switch (name) {
            case "/dev/null" -> 3;
            case "/dev/zero" -> 5;
            case "/dev/full" -> 7;
            case "/dev/random" -> 8;
            default -> 9;
        };
        return FileStat.synthetic(FileStat.S_IFCHR | 0666, (1L << 8) | minor, 1000 + minor);
    }
}
