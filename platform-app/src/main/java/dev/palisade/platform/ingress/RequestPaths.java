package dev.palisade.platform.ingress;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;

/**
 * A request path as the dedicated ingress port routes on it, normalised as Tomcat does on the
 * platform port (so that both fronts agree which service a path names): encoded dots decoded,
 * empty segments merged, dot segments removed. An encoded slash or backslash, a NUL, or a path
 * that climbs above the root is refused.
 */
final class RequestPaths {

    private RequestPaths() {
    }

    /** The normalised path, or null when it is refused. */
    static String normalised(String raw) {
        String lower = raw.toLowerCase(Locale.ROOT);
        if (lower.contains("%2f") || lower.contains("%5c") || lower.contains("%00") || raw.indexOf('\\') >= 0) {
            return null;
        }
        String path = raw.replace("%2e", ".").replace("%2E", ".");
        Deque<String> kept = new ArrayDeque<>();
        String[] segments = path.split("/", -1);
        for (int i = 1; i < segments.length; i++) {
            String s = segments[i];
            boolean last = i == segments.length - 1;
            if (s.equals("..")) {
                if (kept.isEmpty()) {
                    return null;
                }
                kept.removeLast();
                if (last) {
                    kept.addLast("");
                }
            } else if (s.equals(".") || (s.isEmpty() && !last)) {
                if (last) {
                    kept.addLast("");
                }
            } else {
                kept.addLast(s);
            }
        }
        return "/" + String.join("/", kept);
    }
}
