package dev.palisade.platform.customdomain;

import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.github.kagkarlsson.scheduler.task.schedule.Schedules;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Orders the certificates that are due, as a recurring db-scheduler task (one instance at a
 * time, every {@code palisade.domains.check-interval}): a newly claimed domain's first, a
 * renewal {@code renew-before} ahead of the expiry, and a retry {@code retry-after} a failure.
 * Each domain is held while its order runs, so two instances never order the same name. A DNS-01
 * order spans runs: started once, then its TXT record looked up every check until it holds the
 * expected value (the order then completes) or {@code dns-wait} has passed (it fails).
 */
@Configuration(proxyBeanMethods = false)
class CertificateRenewal {

    static final String TASK = "custom-domain-certificates";
    private static final Logger log = LoggerFactory.getLogger(CertificateRenewal.class);

    private final CustomDomainStore store;
    private final AcmeIssuer issuer;
    private final CustomDomainProperties properties;
    private final TxtRecords txt;

    CertificateRenewal(CustomDomainStore store, AcmeIssuer issuer, CustomDomainProperties properties, TxtRecords txt) {
        this.store = store;
        this.issuer = issuer;
        this.properties = properties;
        this.txt = txt;
    }

    @Bean
    RecurringTask<Void> customDomainCertificatesTask() {
        return Tasks.recurring(TASK, Schedules.fixedDelay(properties.checkInterval()))
                .execute((instance, context) -> orderDue());
    }

    /** Orders a certificate for each domain due; how many were issued. */
    int orderDue() {
        if (!properties.issues()) {
            return 0;
        }
        int issued = 0;
        for (String host : store.due(20)) {
            // held for longer than an order may take: a crash here retries after that, not at once
            if (!store.hold(host, Instant.now().plus(properties.orderTimeout().multipliedBy(4)))) {
                continue;
            }
            try {
                if (advance(host)) {
                    issued++;
                }
            } catch (AcmeIssuer.OrderFailedException e) {
                log.warn("Custom domain {}: {}", host, e.getMessage());
                store.failed(host, e.getMessage(), Instant.now().plus(properties.retryAfter()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                store.failed(host, "the order was interrupted (the platform stopped)", Instant.now());
                break;
            } catch (RuntimeException e) {
                log.warn("Custom domain {}: the order failed", host, e);
                store.failed(host, "the order failed: " + e.getMessage(), Instant.now().plus(properties.retryAfter()));
            }
        }
        return issued;
    }

    /**
     * The next step of the domain's order: HTTP-01 whole; DNS-01 started (its record then awaited),
     * or its record looked up and, once it holds the expected value, the order completed. True
     * when a certificate was issued.
     */
    private boolean advance(String host) throws AcmeIssuer.OrderFailedException, InterruptedException {
        if (!"dns-01".equals(store.challengeType(host).orElse(null))) {
            issuer.issue(host);
            return true;
        }
        Instant now = Instant.now();
        Instant nextCheck = now.plus(properties.checkInterval());
        CustomDomainStore.PendingDns pending = store.pendingDns(host).orElse(null);
        if (pending == null) {
            return issuer.startDns01(host, nextCheck, now.plus(properties.dnsWait())).isPresent();
        }
        TxtRecords.Found found = txt.lookup(pending.recordName());
        if (found.holds(pending.recordValue())) {
            issuer.completeDns01(host, pending);
            return true;
        }
        String seen = found.describe(pending.recordValue());
        if (!now.isBefore(pending.deadline())) {
            throw new AcmeIssuer.OrderFailedException("the TXT record " + pending.recordName() + " did not show the"
                    + " expected value by " + pending.deadline() + " (" + seen + "); a new order, with a new value,"
                    + " follows");
        }
        store.dnsChecked(host, seen, nextCheck);
        return false;
    }
}
