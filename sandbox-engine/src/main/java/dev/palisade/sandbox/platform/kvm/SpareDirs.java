package dev.palisade.sandbox.platform.kvm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** Empty temporary directories made ahead of time (a sandbox's /tmp and fresh /workspace), off the start-up path. */
final class SpareDirs {
    private static final int SPARES = 2;
    private static final Map<String, ConcurrentLinkedQueue<Path>> READY = new ConcurrentHashMap<>();
    private static final ExecutorService MAKER = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "palisade-kvm-spare-dirs");
        t.setDaemon(true);
        return t;
    });

    private SpareDirs() {
    }

    static Path take(String prefix) throws IOException {
        ConcurrentLinkedQueue<Path> q = READY.computeIfAbsent(prefix, k -> new ConcurrentLinkedQueue<>());
        Path p = q.poll();
        MAKER.execute(() -> {
            while (q.size() < SPARES) {
                try {
                    q.add(Files.createTempDirectory(prefix));
                } catch (IOException e) {
                    return;
                }
            }
        });
        if (p != null && Files.isDirectory(p)) {
            try (var s = Files.list(p)) {
                if (s.findAny().isEmpty()) {
                    return p;
                }
            }
        }
        return Files.createTempDirectory(prefix);
    }
}
