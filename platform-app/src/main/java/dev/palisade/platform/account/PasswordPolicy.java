package dev.palisade.platform.account;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.springframework.stereotype.Component;

/**
 * What a new password must be: 12 to 200 characters, not the user name (nor contain it), and not
 * one of the common passwords shipped in {@code account/common-passwords.txt} (compared without
 * case, as guessing tools try them).
 */
@Component
public class PasswordPolicy {

    static final int MIN = 12, MAX = 200;

    private final Set<String> common;

    PasswordPolicy() {
        try (InputStream in = PasswordPolicy.class.getResourceAsStream("/account/common-passwords.txt")) {
            common = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().map(String::trim)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#")).map(l -> l.toLowerCase(Locale.ROOT))
                    .collect(Collectors.toUnmodifiableSet());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Why the password is refused for this user, or empty when it is fine. */
    public Optional<String> refusal(String username, String password) {
        if (password == null || password.length() < MIN || password.length() > MAX) {
            return Optional.of("must be " + MIN + " to " + MAX + " characters");
        }
        String lower = password.toLowerCase(Locale.ROOT);
        if (username != null && lower.contains(username.toLowerCase(Locale.ROOT))) {
            return Optional.of("must not contain the user name");
        }
        if (common.contains(lower)) {
            return Optional.of("is one of the most common passwords; choose another");
        }
        return Optional.empty();
    }
}
