package dev.palisade.acceptance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

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
}
