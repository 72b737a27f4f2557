package dev.palisade.sandbox.platform.kvm;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * A parsed x86-64 ELF executable, PIE or not, static or naming an interpreter ({@code PT_INTERP},
 * which the loader maps at {@link GuestLayout#INTERP_BASE}). Anything else — not ELF, 32-bit,
 * big-endian, another machine, a shared library without a dynamic section, a malformed
 * interpreter name, segments outside the file or the user address space — is refused with an
 * {@link ElfException} whose message says what is wrong. Parsing reads only the given bytes and
 * never throws anything else.
 */
final class ElfImage {
    static final int PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3, PT_PHDR = 6, PT_TLS = 7, PT_GNU_STACK = 0x6474e551;
    static final int ET_EXEC = 2, ET_DYN = 3;

    /** The file cannot be run by the KVM platform; the message says why. */
    static final class ElfException extends Exception {
        ElfException(String m) {
            super(m);
        }
    }

    record Segment(int type, int flags, long offset, long vaddr, long filesz, long memsz) {
    }

    final byte[] file;
    final int type;
    final long entry;
    final long phoff;
    final int phnum;
    final List<Segment> segments;
    /** The path of {@code PT_INTERP} (the dynamic loader), or null for a static executable. */
    final String interpreter;

    private ElfImage(byte[] file, int type, long entry, long phoff, int phnum, List<Segment> segments, String interpreter) {
        this.file = file;
        this.type = type;
        this.entry = entry;
        this.phoff = phoff;
        this.phnum = phnum;
        this.segments = segments;
        this.interpreter = interpreter;
    }

    boolean pie() {
        return type == ET_DYN;
    }

    static ElfImage parse(byte[] f) throws ElfException {
        if (f.length < 64 || f[0] != 0x7f || f[1] != 'E' || f[2] != 'L' || f[3] != 'F') {
            throw new ElfException("not an ELF executable");
        }
        if (f[4] != 2) {
            throw new ElfException("not a 64-bit ELF (32-bit programs are not supported)");
        }
        if (f[5] != 1) {
            throw new ElfException("not a little-endian ELF");
        }
        ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
        int type = b.getShort(16) & 0xffff;
        int machine = b.getShort(18) & 0xffff;
        if (machine != 62) {
            throw new ElfException("ELF for machine " + machine + ", not x86-64");
        }
        if (type != ET_EXEC && type != ET_DYN) {
            throw new ElfException("ELF type " + type + " is not an executable");
        }
        long entry = b.getLong(24);
        long phoff = b.getLong(32);
        int phentsize = b.getShort(54) & 0xffff;
        int phnum = b.getShort(56) & 0xffff;
        if (phentsize != 56 || phnum == 0 || phnum > 128) {
            throw new ElfException("malformed ELF: bad program header table (entsize " + phentsize + ", count " + phnum + ")");
        }
        if (phoff < 64 || phoff > f.length || (long) phnum * 56 > f.length - phoff) {
            throw new ElfException("malformed ELF: program headers outside the file");
        }
        List<Segment> segs = new ArrayList<>();
        boolean dynamic = false;
        String interp = null;
        for (int i = 0; i < phnum; i++) {
            int o = (int) (phoff + 56L * i);
            Segment s = new Segment(b.getInt(o), b.getInt(o + 4), b.getLong(o + 8), b.getLong(o + 16),
                    b.getLong(o + 32), b.getLong(o + 40));
            if (s.type() == PT_INTERP) {
                interp = interpreterName(f, s, interp);
            }
            if (s.type() == PT_DYNAMIC) {
                dynamic = true;
            }
            if (s.type() == PT_LOAD) {
                if (s.filesz() < 0 || s.memsz() < 0 || s.filesz() > s.memsz()) {
                    throw new ElfException("malformed ELF: segment " + i + " has file size above memory size");
                }
                if (s.offset() < 0 || s.offset() > f.length || s.filesz() > f.length - s.offset()) {
                    throw new ElfException("malformed ELF: segment " + i + " extends past the end of the file");
                }
                if (s.vaddr() < 0 || s.memsz() > (1L << 40) || s.vaddr() + s.memsz() > GuestLayout.USER_TOP / 2) {
                    throw new ElfException("malformed ELF: segment " + i + " outside the user address space");
                }
                if (type == ET_EXEC && s.vaddr() < GuestLayout.MIN_USER_VA) {
                    throw new ElfException("ELF segment " + i + " at 0x" + Long.toHexString(s.vaddr())
                            + " is below the lowest address a program may use");
                }
                segs.add(s);
            } else if (s.type() == PT_PHDR) {
                segs.add(s);
            }
        }
        if (segs.stream().noneMatch(s -> s.type() == PT_LOAD)) {
            throw new ElfException("malformed ELF: no loadable segment");
        }
        if (type == ET_DYN && !dynamic) {
            throw new ElfException("ELF shared object without a dynamic section is not an executable");
        }
        ElfImage img = new ElfImage(f, type, entry, phoff, phnum, List.copyOf(segs), interp);
        boolean entryInside = false;
        for (Segment s : segs) {
            if (s.type() == PT_LOAD && (s.flags() & 1) != 0 && entry >= s.vaddr() && entry < s.vaddr() + s.memsz()) {
                entryInside = true;
            }
        }
        if (!entryInside) {
            throw new ElfException("malformed ELF: entry point 0x" + Long.toHexString(entry) + " is not in an executable segment");
        }
        return img;
    }

    /** The NUL-terminated absolute path a {@code PT_INTERP} segment holds; one such segment at most. */
    private static String interpreterName(byte[] f, Segment s, String before) throws ElfException {
        if (before != null) {
            throw new ElfException("malformed ELF: more than one interpreter");
        }
        if (s.offset() < 0 || s.filesz() < 2 || s.filesz() > 4096 || s.offset() > f.length - s.filesz()) {
            throw new ElfException("malformed ELF: interpreter name outside the file or longer than 4096 bytes");
        }
        int at = (int) s.offset(), n = (int) s.filesz() - 1;
        if (f[at + n] != 0 || f[at] != '/') {
            throw new ElfException("malformed ELF: interpreter name is not an absolute NUL-terminated path");
        }
        for (int i = at; i < at + n; i++) {
            if (f[i] == 0) {
                throw new ElfException("malformed ELF: interpreter name is not an absolute NUL-terminated path");
            }
        }
        return new String(f, at, n, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    /** Whether it names an interpreter (a dynamically linked executable). */
    boolean dynamic() {
        return interpreter != null;
    }

    /** Where it was loaded, for the auxiliary vector and brk. */
    record Loaded(long bias, long entry, long phdr, int phnum, long end, long low) {
    }

    /** Maps and copies the segments into guest memory: a PIE at {@link GuestLayout#PIE_BASE}. */
    Loaded load(GuestMemory mem) {
        return load(mem, pie() ? GuestLayout.PIE_BASE : 0);
    }

    /** Maps and copies the segments into guest memory, a PIE's at {@code bias} (0 for a fixed executable). */
    Loaded load(GuestMemory mem, long bias) {
        if (!pie()) {
            bias = 0;
        }
        java.util.Map<Long, Integer> prot = new java.util.TreeMap<>();
        long end = 0;
        long low = Long.MAX_VALUE;
        long phdr = 0;
        for (Segment s : segments) {
            if (s.type() == PT_PHDR) {
                phdr = s.vaddr() + bias;
                continue;
            }
            long start = (s.vaddr() + bias) & ~0xfffL;
            long stop = (s.vaddr() + bias + s.memsz() + 0xfff) & ~0xfffL;
            int p = ((s.flags() & 4) != 0 ? GuestMemory.PROT_READ : 0) | ((s.flags() & 2) != 0 ? GuestMemory.PROT_WRITE : 0)
                    | ((s.flags() & 1) != 0 ? GuestMemory.PROT_EXEC : 0);
            for (long a = start; a < stop; a += GuestLayout.PAGE) {
                prot.merge(a, p, (x, y) -> x | y);
            }
            end = Math.max(end, stop);
            low = Math.min(low, start);
            if (phdr == 0 && s.offset() == 0) {
                phdr = s.vaddr() + bias + phoff;
            }
        }
        for (var e : prot.entrySet()) {
            mem.map(e.getKey(), GuestLayout.PAGE, e.getValue() == 0 ? GuestMemory.PROT_READ : e.getValue());
        }
        for (Segment s : segments) {
            if (s.type() == PT_LOAD && s.filesz() > 0) {
                mem.writeInitial(s.vaddr() + bias, file, (int) s.offset(), (int) s.filesz());
            }
        }
        return new Loaded(bias, entry + bias, phdr, phnum, end, low);
    }
}
