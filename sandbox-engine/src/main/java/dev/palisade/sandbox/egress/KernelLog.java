package dev.palisade.sandbox.egress;

import dev.palisade.sandbox.RefusedConnection;

import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One reader of the kernel log ({@code /dev/kmsg}) per engine, handing each nftables refusal to
 * the sandbox whose random token its prefix names. Records written before a sandbox existed
 * cannot carry its token, so reading from the start of the buffer is harmless.
 */
final class KernelLog {
    static final String PREFIX = "palisade-egress ";
    private static final Pattern LINE = Pattern.compile(PREFIX + "([0-9a-f]{12}) (\\w+) .*?DST=(\\S+) .*?PROTO=(\\w+)(?: SPT=(\\d+) DPT=(\\d+))?");
    private static final Pattern END = Pattern.compile(PREFIX + "([0-9a-f]{12}) end");
    private static final Map<String, Consumer<RefusedConnection>> LISTENERS = new ConcurrentHashMap<>();
    private static final Map<String, CountDownLatch> ENDS = new ConcurrentHashMap<>();
    /** Connections recently reported (the reader thread's alone). */
    private static final Map<String, Boolean> RECENT = new java.util.LinkedHashMap<>(256, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > 4096;
        }
    };
    private static volatile boolean started;
    private static volatile String unavailable;

    private KernelLog() {
    }

    static synchronized void listen(String token, Consumer<RefusedConnection> listener) {
        LISTENERS.put(token, listener);
        if (!started) {
            started = true;
            Thread t = new Thread(KernelLog::read, "egress-kmsg");
            t.setDaemon(true);
            t.start();
        }
    }

    /**
     * Stops listening for {@code token} once every record the kernel logged before now has been
     * read: an end marker for the token is written to the kernel log and awaited (a second at most).
     */
    static void stop(String token) {
        CountDownLatch seen = new CountDownLatch(1);
        ENDS.put(token, seen);
        try (FileOutputStream out = new FileOutputStream("/dev/kmsg")) {
            out.write(("<7>" + PREFIX + token + " end\n").getBytes(StandardCharsets.US_ASCII));
            if (unavailable == null) {
                seen.await(1, TimeUnit.SECONDS);
            }
        } catch (IOException e) {
            // no kernel log to write to: nothing was read from it either
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            ENDS.remove(token);
            LISTENERS.remove(token);
        }
    }

    /** Why refusals cannot be recorded on this node, if they cannot. */
    static String unavailableReason() {
        return unavailable;
    }

    private static void read() {
        byte[] buf = new byte[8192];
        try (InputStream in = new FileInputStream("/dev/kmsg")) {
            while (true) {
                int n;
                try {
                    n = in.read(buf); // one record per read
                } catch (IOException e) {
                    continue; // EPIPE: records were overwritten before we read them; go on with the next
                }
                if (n < 0) {
                    return;
                }
                String record = new String(buf, 0, n, StandardCharsets.US_ASCII);
                int text = record.indexOf(';');
                if (text < 0 || !record.startsWith(PREFIX, text + 1)) {
                    continue;
                }
                dispatch(record.substring(text + 1));
            }
        } catch (IOException e) {
            unavailable = "cannot read the kernel log (/dev/kmsg): " + e.getMessage();
        }
    }

    static void dispatch(String line) {
        Matcher end = END.matcher(line);
        if (end.lookingAt()) {
            CountDownLatch l = ENDS.get(end.group(1));
            if (l != null) {
                l.countDown();
            }
            return;
        }
        Matcher m = LINE.matcher(line);
        if (!m.lookingAt()) {
            return;
        }
        Consumer<RefusedConnection> listener = LISTENERS.get(m.group(1));
        // a refused SYN is sent again by the program's kernel: one connection, one event
        if (listener != null && RECENT.put(m.group(1) + m.group(3) + m.group(4) + m.group(5) + ":" + m.group(6), Boolean.TRUE) == null) {
            int port = m.group(6) == null ? 0 : Integer.parseInt(m.group(6));
            listener.accept(new RefusedConnection(Instant.now(), m.group(4).toLowerCase(java.util.Locale.ROOT),
                    m.group(3), port, m.group(2)));
        }
    }
}
