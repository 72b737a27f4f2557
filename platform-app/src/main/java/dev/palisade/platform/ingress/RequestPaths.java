package dev.palisade.platform.ingress;

import java.util.Locale;

/**
 * What the dedicated ingress port refuses in a request path, as Tomcat refuses it on the platform
 * port (so that both fronts pass the same paths to a service): an encoded slash or backslash, a
 * NUL, a backslash, or dot segments that climb above the root.
 */
final class RequestPaths {

    private RequestPaths() {
    }

    /** Whether the path may be passed on to a service. */
    static boolean acceptable(String raw) {
        String lower = raw.toLowerCase(Locale.ROOT);
        if (lower.contains("%2f") || lower.contains("%5c") || lower.contains("%00") || raw.indexOf('\\') >= 0) {
            return false;
        }
        int depth = 0;
        String[] segments = lower.replace("%2e", ".").split("/", -1);
        for (int i = 1; i < segments.length; i++) {
            String s = segments[i];
            if (s.equals("..")) {
                if (--depth < 0) {
                    return false;
                }
            } else if (!s.isEmpty() && !s.equals(".")) {
                depth++;
            }
        }
        return true;
    }
}
