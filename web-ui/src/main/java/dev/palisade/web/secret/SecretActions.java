package dev.palisade.web.secret;

import dev.palisade.web.support.CurrentUser;
import java.time.Instant;
import java.util.List;

/**
 * A tenant's secrets as the REST API offers them (GET/PUT/DELETE .../secrets), for the portal.
 * Values go in only: nothing here returns one.
 */
public interface SecretActions {

    /** What the page shows of a secret. */
    record Row(String name, int version, Instant updatedAt, String updatedBy) {
    }

    /** The platform refused (not a tenant admin, a bad name, in use…); the message says why. */
    class Refused extends RuntimeException {
        public Refused(String message) {
            super(message);
        }
    }

    List<Row> list(CurrentUser me);

    /** Sets the secret; returns the services restarted to pick up its new value. */
    List<String> set(CurrentUser me, String name, String value);

    void delete(CurrentUser me, String name);
}
