package dev.palisade.platform.customdomain;

import dev.palisade.model.ConflictException;
import dev.palisade.platform.secret.SealedColumn;
import dev.palisade.platform.secret.SealedColumns;
import dev.palisade.platform.secret.SecretKeys.Sealed;
import io.swagger.v3.oas.annotations.media.Schema;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * The custom_domain and acme_account tables. A host is one row, so a name claimed by one tenant
 * cannot be claimed by another (the primary key decides, whatever races). Private keys go in and
 * out sealed with the secrets' key, each bound to its row ({@code custom_domain:<host>}).
 */
@Component
class CustomDomainStore {

    private final JdbcClient jdbc;
    /** Certificate keys and ACME account keys: sealed columns, so a key rotation re-seals them. */
    private final SealedColumn domainKeys, accountKeys;

    CustomDomainStore(JdbcClient jdbc, SealedColumns sealed) {
        this.jdbc = jdbc;
        this.domainKeys = sealed.register("custom_domain", "host", "sealed_key");
        this.accountKeys = sealed.register("acme_account", "directory", "sealed_key");
    }

    /** A custom domain as its tenant sees it; never its key. */
    @Schema(name = "CustomDomain", description = "A custom domain of a service and the state of its certificate")
    public record Domain(String host, String service, boolean hsts,
            @Schema(description = "PENDING (no certificate yet), AWAITING_DNS (no certificate yet; the DNS-01 "
                    + "record in dnsRecord is awaited), ISSUED or FAILED (the last order failed; retried)")
            String state,
            @Schema(description = "how control of the name is proved: http-01 or dns-01") String challenge,
            @Schema(description = "the TXT record to publish for the DNS-01 order under way (a first certificate's "
                    + "or a renewal's, the domain then still ISSUED); null when none is awaited") DnsRecord dnsRecord,
            Instant notBefore, Instant notAfter, Instant renewAt, Instant nextAttemptAt, String lastError,
            Instant createdAt, String createdBy) {
    }

    /** The record a DNS-01 order awaits, and what the platform last found at its name. */
    @Schema(name = "CustomDomainDnsRecord", description = "A TXT record the tenant must publish for a DNS-01 order")
    public record DnsRecord(@Schema(description = "_acme-challenge.<host>") String name,
            @Schema(description = "always TXT") String type,
            @Schema(description = "the value the record must hold") String value,
            @Schema(description = "when the order fails if the record has not appeared") Instant awaitedUntil,
            @Schema(description = "what the last look-up found (null: not looked up yet)") String lastCheck,
            Instant checkedAt) {
    }

    /** The DNS-01 order under way for a domain: the record it awaits, and where to find the order again. */
    record PendingDns(String recordName, String recordValue, String orderUrl, String challengeUrl, Instant deadline) {
    }

    /**
     * What the ingress needs of a domain: where it goes, the challenge under way, and a digest of
     * its certificate (null: none), so that a reload fetches only certificates that changed.
     */
    record Row(String host, String tenant, String service, boolean hsts, String challengeToken,
            String challengeResponse, String certificateDigest) {
    }

    /** A domain's certificate chain and its key, still sealed. */
    record Stored(String chainPem, Sealed sealedKey) {
    }

    private static final String COLUMNS = "host, service_name, hsts, state, challenge, dns_record_name, "
            + "dns_record_value, dns_deadline, dns_check, dns_checked_at, not_before, not_after, renew_at, "
            + "next_attempt_at, last_error, created_at, created_by";

    private static Domain domain(ResultSet rs, int i) throws SQLException {
        return new Domain(rs.getString("host"), rs.getString("service_name"), rs.getBoolean("hsts"),
                rs.getString("state"), rs.getString("challenge"), rs.getString("dns_record_value") == null ? null
                        : new DnsRecord(rs.getString("dns_record_name"), "TXT", rs.getString("dns_record_value"),
                                instant(rs, "dns_deadline"), rs.getString("dns_check"), instant(rs, "dns_checked_at")),
                instant(rs, "not_before"), instant(rs, "not_after"), instant(rs, "renew_at"),
                instant(rs, "next_attempt_at"), rs.getString("last_error"), instant(rs, "created_at"),
                rs.getString("created_by"));
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }

    /**
     * Claims {@code host} for the tenant's service; in the caller's transaction. Refused (409)
     * when any tenant holds it already, saying whether it is this tenant's (never naming another).
     */
    Domain claim(long tenantId, String host, String service, boolean hsts, String challenge, String actor) {
        int inserted = jdbc.sql("""
                insert into custom_domain (host, tenant_id, service_name, hsts, challenge, created_by)
                values (:host, :tenant, :service, :hsts, :challenge, :actor) on conflict (host) do nothing""")
                .param("host", host).param("tenant", tenantId).param("service", service).param("hsts", hsts)
                .param("challenge", challenge)
                .param("actor", actor).update();
        if (inserted == 0) {
            Optional<Long> owner = jdbc.sql("select tenant_id from custom_domain where host = :host")
                    .param("host", host).query(Long.class).optional();
            throw new ConflictException(owner.isPresent() && owner.get() == tenantId
                    ? "domain " + host + " is already claimed by this tenant"
                    : "domain " + host + " is claimed by another tenant");
        }
        return get(tenantId, host).orElseThrow();
    }

    int count(long tenantId) {
        return jdbc.sql("select count(*) from custom_domain where tenant_id = :tenant").param("tenant", tenantId)
                .query(Integer.class).single();
    }

    List<Domain> list(long tenantId) {
        return jdbc.sql("select " + COLUMNS + " from custom_domain where tenant_id = :tenant order by host")
                .param("tenant", tenantId).query(CustomDomainStore::domain).list();
    }

    Optional<Domain> get(long tenantId, String host) {
        return jdbc.sql("select " + COLUMNS + " from custom_domain where tenant_id = :tenant and host = :host")
                .param("tenant", tenantId).param("host", host).query(CustomDomainStore::domain).optional();
    }

    boolean delete(long tenantId, String host) {
        return jdbc.sql("delete from custom_domain where tenant_id = :tenant and host = :host")
                .param("tenant", tenantId).param("host", host).update() > 0;
    }

    boolean setHsts(long tenantId, String host, boolean hsts) {
        return jdbc.sql("update custom_domain set hsts = :hsts, updated_at = now() where tenant_id = :tenant and host = :host")
                .param("hsts", hsts).param("tenant", tenantId).param("host", host).update() > 0;
    }

    /** Makes the domain due for a new certificate now (a forced renewal). */
    boolean renewNow(long tenantId, String host) {
        return jdbc.sql("update custom_domain set next_attempt_at = now(), updated_at = now()"
                        + " where tenant_id = :tenant and host = :host")
                .param("tenant", tenantId).param("host", host).update() > 0;
    }

    /** Hosts due for a certificate (new, renewal, or a retry after a failure), the longest waiting first. */
    List<String> due(int limit) {
        return jdbc.sql("select host from custom_domain where next_attempt_at <= now() order by next_attempt_at limit :n")
                .param("n", limit).query(String.class).list();
    }

    /**
     * Holds the domain for this attempt: its next attempt moves to {@code until}, so no other
     * instance starts one meanwhile; false when another instance holds it (or it is gone).
     */
    boolean hold(String host, Instant until) {
        return jdbc.sql("""
                update custom_domain set next_attempt_at = :until
                where host = (select host from custom_domain where host = :host and next_attempt_at <= now()
                              for update skip locked)""")
                .param("host", host).param("until", Timestamp.from(until)).update() > 0;
    }

    void challenge(String host, String token, String response) {
        jdbc.sql("update custom_domain set challenge_token = :token, challenge_response = :response where host = :host")
                .param("token", token).param("response", response).param("host", host).update();
    }

    /** The answer to an HTTP-01 challenge for {@code host}, if {@code token} is the one under way. */
    Optional<String> challengeResponse(String host, String token) {
        return jdbc.sql("select challenge_response from custom_domain where host = :host and challenge_token = :token")
                .param("host", host).param("token", token).query(String.class).optional();
    }

    void issued(String host, String chainPem, byte[] keyPem, Instant notBefore, Instant notAfter, Instant renewAt) {
        Sealed sealed = domainKeys.seal(host, keyPem);
        jdbc.sql("""
                update custom_domain set state = 'ISSUED', certificate_pem = :pem, key_id = :key, sealed_key = :sealed,
                    not_before = :nb, not_after = :na, renew_at = :renew, next_attempt_at = :renew, failures = 0,
                    last_error = null, challenge_token = null, challenge_response = null, updated_at = now(),
                """ + NO_DNS_ORDER + " where host = :host")
                .param("pem", chainPem).param("key", sealed.keyId()).param("sealed", sealed.bytes())
                .param("nb", Timestamp.from(notBefore)).param("na", Timestamp.from(notAfter))
                .param("renew", Timestamp.from(renewAt)).param("host", host).update();
    }

    /** An order failed: the state says so while there is no certificate (one still valid keeps serving). */
    void failed(String host, String error, Instant retryAt) {
        jdbc.sql("""
                update custom_domain set state = case when certificate_pem is null then 'FAILED' else state end,
                    last_error = :error, failures = failures + 1, next_attempt_at = :retry,
                    challenge_token = null, challenge_response = null, updated_at = now(),
                """ + NO_DNS_ORDER + " where host = :host")
                .param("error", error.length() > 1000 ? error.substring(0, 1000) : error)
                .param("retry", Timestamp.from(retryAt)).param("host", host).update();
    }

    /** What {@link #issued} and {@link #failed} set: no DNS-01 order under way any more. */
    private static final String NO_DNS_ORDER = "dns_record_name = null, dns_record_value = null, acme_order_url = null,"
            + " acme_challenge_url = null, dns_deadline = null, dns_check = null, dns_checked_at = null";

    /** How the domain's control is proved (http-01, dns-01); empty when it is gone. */
    Optional<String> challengeType(String host) {
        return jdbc.sql("select challenge from custom_domain where host = :host").param("host", host)
                .query(String.class).optional();
    }

    /** The DNS-01 order under way for {@code host}, if any. */
    Optional<PendingDns> pendingDns(String host) {
        return jdbc.sql("""
                select dns_record_name, dns_record_value, acme_order_url, acme_challenge_url, dns_deadline
                from custom_domain where host = :host and dns_record_value is not null""")
                .param("host", host)
                .query((rs, i) -> new PendingDns(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        instant(rs, "dns_deadline")))
                .optional();
    }

    /**
     * A DNS-01 order now awaits its TXT record: kept with the order's and challenge's URLs, looked
     * up from {@code nextCheck}. A domain with no certificate shows AWAITING_DNS; one with a
     * certificate (a renewal) stays as it is, the certificate serving meanwhile.
     */
    void awaitDns(String host, PendingDns pending, Instant nextCheck) {
        jdbc.sql("""
                update custom_domain set state = case when certificate_pem is null then 'AWAITING_DNS' else state end,
                    dns_record_name = :name, dns_record_value = :value, acme_order_url = :order,
                    acme_challenge_url = :challenge, dns_deadline = :deadline, dns_check = null, dns_checked_at = null,
                    next_attempt_at = :next, updated_at = now()
                where host = :host""")
                .param("name", pending.recordName()).param("value", pending.recordValue())
                .param("order", pending.orderUrl()).param("challenge", pending.challengeUrl())
                .param("deadline", Timestamp.from(pending.deadline())).param("next", Timestamp.from(nextCheck))
                .param("host", host).update();
    }

    /** The TXT record was looked up and is not (yet) right: what was found, and when to look again. */
    void dnsChecked(String host, String found, Instant nextCheck) {
        jdbc.sql("""
                update custom_domain set dns_check = :found, dns_checked_at = now(), next_attempt_at = :next,
                    updated_at = now()
                where host = :host and dns_record_value is not null""")
                .param("found", found.length() > 1000 ? found.substring(0, 1000) : found)
                .param("next", Timestamp.from(nextCheck)).param("host", host).update();
    }

    /** Every domain, for the ingress's table. */
    List<Row> rows() {
        return jdbc.sql("""
                select d.host, t.slug, d.service_name, d.hsts, d.challenge_token, d.challenge_response,
                       md5(d.certificate_pem)
                from custom_domain d join tenant t on t.id = d.tenant_id""")
                .query((rs, i) -> new Row(rs.getString(1), rs.getString(2), rs.getString(3), rs.getBoolean(4),
                        rs.getString(5), rs.getString(6), rs.getString(7)))
                .list();
    }

    Optional<Stored> certificate(String host) {
        return jdbc.sql("select certificate_pem, key_id, sealed_key from custom_domain where host = :host"
                        + " and certificate_pem is not null")
                .param("host", host)
                .query((rs, i) -> new Stored(rs.getString(1), new Sealed(rs.getString(2), rs.getBytes(3)))).optional();
    }

    byte[] open(String host, Sealed sealed) {
        return domainKeys.open(host, sealed);
    }

    // ---- the ACME account's key

    Optional<byte[]> accountKey(String directory) {
        return jdbc.sql("select key_id, sealed_key from acme_account where directory = :directory")
                .param("directory", directory)
                .query((rs, i) -> accountKeys.open(directory, new Sealed(rs.getString(1), rs.getBytes(2))))
                .optional();
    }

    /** Keeps the account key unless another instance kept one first; the key kept either way. */
    byte[] keepAccountKey(String directory, byte[] keyPem) {
        Sealed s = accountKeys.seal(directory, keyPem);
        jdbc.sql("insert into acme_account (directory, key_id, sealed_key) values (:directory, :key, :sealed)"
                        + " on conflict (directory) do nothing")
                .param("directory", directory).param("key", s.keyId()).param("sealed", s.bytes()).update();
        return accountKey(directory).orElseThrow();
    }
}
