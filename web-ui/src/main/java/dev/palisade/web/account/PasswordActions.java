package dev.palisade.web.account;

import dev.palisade.web.support.CurrentUser;

/** Password changes as the REST API makes them; implemented by the platform application. */
public interface PasswordActions {

    /** A change refused: the form field at fault and why. */
    class Refused extends RuntimeException {
        public final String field;

        public Refused(String field, String message) {
            super(message);
            this.field = field;
        }
    }

    /** The user's own change; throws {@link Refused} naming the field. */
    void change(CurrentUser me, String currentPassword, String newPassword);

    /**
     * A tenant admin's reset of another user of the tenant (by public id): the one-time password,
     * or empty when there is no such user; 403 for the admin's own.
     */
    java.util.Optional<String> reset(CurrentUser admin, java.util.UUID userId);
}
