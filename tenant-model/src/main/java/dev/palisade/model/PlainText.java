package dev.palisade.model;

import java.util.regex.Pattern;

/**
 * What a name or line of free text a tenant or user types may hold: no control characters (C0,
 * DEL, C1), no line or paragraph separators and no bidirectional overrides, so that it cannot
 * break a log line, forge an audit entry or hide what it says; and a bounded length. The domain
 * checks it on every change ({@link #check}); forms and request bodies check {@link #PATTERN} too,
 * to name the field.
 */
public final class PlainText {

    /** A regular expression for Bean Validation's {@code @Pattern}. */
    public static final String PATTERN = "[^\\p{Cc}\\p{Zl}\\p{Zp}\\u202A-\\u202E\\u2066-\\u2069]*";

    /** The message that goes with {@link #PATTERN}. */
    public static final String MESSAGE = "must not contain control characters or line breaks";

    private static final Pattern ALLOWED = Pattern.compile(PATTERN);

    private PlainText() {
    }

    /** True when the value (null included) holds no character {@link #PATTERN} refuses. */
    public static boolean isPlain(String value) {
        return value == null || ALLOWED.matcher(value).matches();
    }

    /**
     * The value, if it is plain text of at most {@code maxLength} characters.
     *
     * @throws IllegalArgumentException "field: why", otherwise
     */
    public static String check(String field, String value, int maxLength) {
        if (value == null) {
            return null;
        }
        if (value.length() > maxLength) {
            throw new IllegalArgumentException(field + ": at most " + maxLength + " characters");
        }
        if (!isPlain(value)) {
            throw new IllegalArgumentException(field + ": " + MESSAGE);
        }
        return value;
    }
}
