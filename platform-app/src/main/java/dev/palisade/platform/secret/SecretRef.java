package dev.palisade.platform.secret;

import java.util.regex.Pattern;

/**
 * A workload's use of one of its tenant's secrets: as the environment variable {@code env}, or,
 * with no {@code env}, as the read-only file {@code /run/secrets/<name>}.
 */
public record SecretRef(String name, String env) {

    /** A secret's name: usable as a file name as it is. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    static final Pattern ENV = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");

    /** Why the reference is malformed, or null. */
    public String problem() {
        if (name == null || !NAME.matcher(name).matches()) {
            return "a secret's name is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit";
        }
        if (env != null && !ENV.matcher(env).matches()) {
            return "env must be a variable name (letters, digits and '_', not starting with a digit)";
        }
        return null;
    }

    public boolean asFile() {
        return env == null;
    }
}
