package dev.palisade.web.account;

import dev.palisade.web.support.CurrentUser;
import java.util.List;
import java.util.Optional;

/** The signed-in user's second factor (TOTP); implemented by the platform application. */
public interface SecondFactorActions {

    /** Whether it is on, whether the user may turn it off, and how many recovery codes are unused. */
    record Status(boolean enabled, boolean required, int recoveryCodesLeft) {
    }

    /** What an authenticator app needs: the secret in base32 and the same as an {@code otpauth://} URI. */
    record Setup(String secret, String uri) {
    }

    /** A step refused: the form field at fault and why. */
    class Refused extends RuntimeException {
        public final String field;

        public Refused(String field, String message) {
            super(message);
            this.field = field;
        }
    }

    Status status(CurrentUser me);

    /** A fresh secret, in force once a first code confirms it. */
    Setup begin(CurrentUser me);

    /** The secret being set up, if one is. */
    Optional<Setup> pending(CurrentUser me);

    /** The first code: from now on logins ask for one. Returns the recovery codes, shown once. */
    List<String> confirm(CurrentUser me, String code);

    /** Off again, with the current password and a current code (or a recovery code). */
    void disable(CurrentUser me, String currentPassword, String code);
}
