package dev.palisade.platform.workload;

/**
 * Turns PostgreSQL's text of a jsonb value into the bytes Jackson writes for the same value, so a
 * response can embed the stored JSON as it is instead of parsing it into a tree and writing that
 * back, four times for every workload of a page. jsonb prints one canonical form: {@code ", "} and
 * {@code ": "} between items, no other space outside strings, and {@code \}{@code u00xx} in
 * lower case for control characters; Jackson writes no spaces and upper-case hex digits. Both
 * escape exactly the same characters otherwise, so removing the spaces and raising the hex
 * digits is the whole difference. Numbers keep jsonb's spelling: what Palisade stores has no
 * fractions, where the two could differ ({@code 1.50} against {@code 1.5}).
 */
final class JsonbText {

    private JsonbText() {
    }

    /** Valid JSON in, the same JSON without insignificant white space and with upper-case escapes out. */
    static String compact(String json) {
        if (json == null) {
            return null;
        }
        StringBuilder out = new StringBuilder(json.length());
        boolean inString = false;
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (inString) {
                out.append(c);
                if (c == '\\') {
                    char next = json.charAt(++i);
                    out.append(next);
                    if (next == 'u') {
                        for (int k = 0; k < 4; k++) {
                            out.append(Character.toUpperCase(json.charAt(++i)));
                        }
                    }
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
                out.append(c);
            } else if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                out.append(c);
            }
        }
        return out.toString();
    }
}
