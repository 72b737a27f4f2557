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
 * Each domain is held while its order runs, so two instances never order the same name.
 */
@Configuration(proxyBeanMethods = false)
class CertificateRenewal {

    static final String TASK = "custom-domain-certificates";
    private static final Logger log = LoggerFactory.getLogger(CertificateRenewal.class);

    private final CustomDomainStore store;
    private final AcmeIssuer issuer;
    private final CustomDomainProperties properties;

    CertificateRenewal(CustomDomainStore store, AcmeIssuer issuer, CustomDomainProperties properties) {
        this.store = store;
        this.issuer = issuer;
        this.properties = properties;
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
                issuer.issue(host);
                issued++;
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
}
