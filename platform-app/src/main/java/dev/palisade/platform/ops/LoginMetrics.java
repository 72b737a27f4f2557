package dev.palisade.platform.ops;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.context.event.EventListener;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.authentication.event.AbstractAuthenticationFailureEvent;
import org.springframework.security.authentication.event.AuthenticationFailureBadCredentialsEvent;
import org.springframework.stereotype.Component;

/**
 * {@code palisade_login_failures_total{reason}}: failed password logins (console form and HTTP
 * Basic on the token endpoint): {@code bad_credentials} (every cause a caller may learn of: wrong
 * password, unknown user, suspended tenant) or {@code other}. A
 * rising {@code bad_credentials} rate is someone guessing passwords. No user names as tags: the
 * series would grow with every name an attacker tries.
 */
@Component
class LoginMetrics {

    private final MeterRegistry registry;

    LoginMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (String reason : new String[] {"bad_credentials", "other"}) {
            counter(reason);
        }
    }

    @EventListener
    void onFailure(AbstractAuthenticationFailureEvent event) {
        if (!(event.getAuthentication() instanceof UsernamePasswordAuthenticationToken)) {
            return;
        }
        String reason = event instanceof AuthenticationFailureBadCredentialsEvent ? "bad_credentials" : "other";
        counter(reason).increment();
    }

    private Counter counter(String reason) {
        return Counter.builder("palisade.login.failures").description("Failed password logins")
                .tag("reason", reason).register(registry);
    }
}
