package dev.palisade.web.domain;

import dev.palisade.web.support.CurrentUser;
import java.time.Instant;
import java.util.List;

/** A tenant's custom domains as the REST API offers them (.../domains), for the portal. */
public interface DomainActions {

    /** What the page shows of a domain. */
    record Row(String host, String service, boolean hsts, String state, Instant notAfter, Instant renewAt,
            String lastError, String challenge, DnsRecord dnsRecord) {
    }

    /** The TXT record a DNS-01 order awaits: to publish at {@code name}, what the last look-up found. */
    record DnsRecord(String name, String value, Instant awaitedUntil, String lastCheck) {
    }

    /** The platform refused (not a tenant admin, a bad or taken name…); the message says why. */
    class Refused extends RuntimeException {
        public Refused(String message) {
            super(message);
        }
    }

    List<Row> list(CurrentUser me);

    /** Claims {@code host} for the service, its control proved by {@code challenge}; returns the name as kept. */
    String claim(CurrentUser me, String host, String service, boolean hsts, String challenge);

    void hsts(CurrentUser me, String host, boolean on);

    void renew(CurrentUser me, String host);

    void release(CurrentUser me, String host);
}
