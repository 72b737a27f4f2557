package dev.palisade.web.egress;

import dev.palisade.web.support.CurrentUser;
import java.util.List;

/** A tenant's egress allowlist as the REST API offers it (GET/PUT .../egress-allowlist), for the console. */
public interface EgressActions {

    /** The platform refused the list (a malformed entry, too many); the message says which and why. */
    class Refused extends RuntimeException {
        public Refused(String message) {
            super(message);
        }
    }

    List<String> list(CurrentUser me, String slug);

    /** Replaces the list; returns it as stored (canonical). */
    List<String> replace(CurrentUser me, String slug, List<String> destinations);
}
