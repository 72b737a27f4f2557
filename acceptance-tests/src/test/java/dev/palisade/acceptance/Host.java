package dev.palisade.acceptance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What the machine running the acceptance tests offers. */
public final class Host {

    private Host() {
    }

    /** Whether this process runs as root (the ptrace sandbox needs it): its real uid is 0. */
    public static boolean runsAsRoot() {
        try {
            return Files.readString(Path.of("/proc/self/status")).lines()
                    .anyMatch(l -> l.startsWith("Uid:") && l.split("\\s+")[1].equals("0"));
        } catch (IOException e) {
            return false;
        }
    }

    /** Mount points at or under {@code dir}, from this process's (the host's) mount table. */
    public static List<String> mountsUnder(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return List.of();
        }
        String d = dir.toRealPath().toString();
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().map(l -> l.split(" ")[4])
                .filter(m -> m.startsWith(d)).toList();
    }

    /**
     * Unmounts whatever is mounted under {@code dir} (the bounded workspaces of an instance the test
     * killed with SIGKILL, which only a later start on the same data directory would remove).
     */
    public static void unmountUnder(Path dir) throws IOException, InterruptedException {
        for (String p : mountsUnder(dir)) {
            new ProcessBuilder("umount", "-l", p).inheritIO().start().waitFor();
        }
    }
}
