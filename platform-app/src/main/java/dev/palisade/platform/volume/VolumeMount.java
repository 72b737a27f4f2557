package dev.palisade.platform.volume;

import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A workload's use of one of its tenant's volumes: mounted at {@code path} in its sandbox,
 * read-only when {@code readOnly}. The path is checked here: absolute, plain, and never over
 * what the sandbox or its image needs for itself.
 */
@Schema(name = "VolumeMount", description = "A volume of the tenant mounted at a path in the sandbox",
        example = "{\"volume\": \"data\", \"path\": \"/data\", \"readOnly\": false}")
public record VolumeMount(
        @Schema(description = "the volume's name") String volume,
        @Schema(description = "an absolute path in the sandbox, e.g. /data or /srv/app/uploads; not /, not over "
                + "/proc, /dev, /sys, /run, /tmp, /workspace, /app nor the image's system directories") String path,
        @Schema(description = "read-only in the sandbox", defaultValue = "false") Boolean readOnly) {

    /** A mount path: absolute, segments of letters, digits, '.', '_' and '-', at most 8 deep. */
    static final Pattern PATH = Pattern.compile("(/[A-Za-z0-9_][A-Za-z0-9._-]{0,63}){1,8}");
    /** Mount paths refused with everything under them: the sandbox's own, and the image's system directories. */
    static final List<String> RESERVED_TREES = List.of("/proc", "/dev", "/sys", "/run", "/tmp", "/workspace", "/app",
            "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/usr", "/etc", "/boot");
    /** Directories refused themselves (a mount below them is fine): hiding them would hide what the image keeps there. */
    static final List<String> RESERVED_DIRS = List.of("/var", "/var/lib", "/var/cache", "/var/log", "/home", "/opt",
            "/srv", "/mnt", "/media", "/root");

    public boolean readOnlyOrFalse() {
        return Boolean.TRUE.equals(readOnly);
    }

    /** Why the mount is malformed, or null. */
    public String problem() {
        if (volume == null || !VolumeStore.NAME.matcher(volume).matches()) {
            return "volume must be a volume's name (1 to 63 lower-case letters, digits or '-')";
        }
        if (path == null || !PATH.matcher(path).matches() || path.contains("/./") || path.contains("/../")
                || path.endsWith("/.") || path.endsWith("/..")) {
            return "path must be an absolute path of 1 to 8 plain segments (letters, digits, '.', '_', '-'), e.g. /data";
        }
        for (String t : RESERVED_TREES) {
            if (path.equals(t) || path.startsWith(t + "/")) {
                return "path may not be " + t + " nor below it: the sandbox or its image needs it";
            }
        }
        if (RESERVED_DIRS.contains(path)) {
            return "path may not be " + path + " itself (mount below it, e.g. " + path + "/myapp)";
        }
        return null;
    }

    /** Whether one of the two paths is the other or below it. */
    public static boolean overlap(String a, String b) {
        return a.equals(b) || a.startsWith(b + "/") || b.startsWith(a + "/");
    }
}
