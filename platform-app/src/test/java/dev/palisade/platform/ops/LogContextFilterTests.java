package dev.palisade.platform.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;
import org.springframework.mock.web.MockFilterChain;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

/** Tenant and workload ids come from the path into the logging context, and leave it afterwards. */
class LogContextFilterTests {

    private final LogContextFilter filter = new LogContextFilter();

    @Test
    void aWorkloadCallCarriesTenantAndWorkload() throws Exception {
        String id = "0b6f6c58-2f44-4c2e-9d43-5d4f5e0a1c11";
        assertThat(seen("/api/v1/tenants/acme/workloads/" + id + "/logs"))
                .containsEntry("tenant", "acme").containsEntry("workload", id);
        assertThat(MDC.getCopyOfContextMap()).satisfiesAnyOf(m -> assertThat(m).isNull(), m -> assertThat(m).isEmpty());
    }

    @Test
    void aTenantCallCarriesTheTenantOnly() throws Exception {
        assertThat(seen("/api/v1/tenants/acme/quota")).containsEntry("tenant", "acme").doesNotContainKey("workload");
        assertThat(seen("/api/v1/tenants/acme")).containsEntry("tenant", "acme");
    }

    @Test
    void otherCallsAndMalformedIdsAddNothing() throws Exception {
        assertThat(seen("/api/v1/tokens")).isEmpty();
        assertThat(seen("/api/v1/tenants/ACME;drop/quota")).isEmpty();
    }

    private Map<String, String> seen(String path) throws Exception {
        Map<String, String> seen = new HashMap<>();
        MockHttpServletRequest request = new MockHttpServletRequest("GET", path);
        filter.doFilter(request, new MockHttpServletResponse(), new MockFilterChain() {
            @Override
            public void doFilter(jakarta.servlet.ServletRequest req, jakarta.servlet.ServletResponse res) {
                Map<String, String> mdc = MDC.getCopyOfContextMap();
                if (mdc != null) {
                    seen.putAll(mdc);
                }
            }
        });
        return seen;
    }
}
