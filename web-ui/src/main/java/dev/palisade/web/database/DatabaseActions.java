package dev.palisade.web.database;

import dev.palisade.web.support.CurrentUser;
import java.time.Instant;
import java.util.List;

/** A tenant's databases as the REST API offers them (GET/POST/DELETE .../databases), for the portal. */
public interface DatabaseActions {

    /** What the page shows of a database. */
    record Row(String name, String database, String secretName, long sizeBytes, long usedBytes, String state,
            int connectionLimit, long statementTimeoutMs, Instant checkedAt, Instant createdAt, String createdBy) {
    }

    /** The platform refused (not a tenant admin, a bad name, over quota, in use…); the message says why. */
    class Refused extends RuntimeException {
        public Refused(String message) {
            super(message);
        }
    }

    List<Row> list(CurrentUser me);

    void create(CurrentUser me, String name, long sizeBytes, String secretName);

    void delete(CurrentUser me, String name);
}
