package dev.palisade.platform.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.mock.web.MockFilterChain;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

/** A database outage met in the security filters answers 503 with Retry-After; other failures pass through. */
class DatabaseOutageFilterTests {

    private final DatabaseOutageFilter filter = new DatabaseOutageFilter();

    @Test
    void aConnectionFailureAnswers503WithRetryAfter() throws Exception {
        MockHttpServletResponse response = run(new DataAccessResourceFailureException("JDBC exception",
                new SQLException("An I/O error occurred while sending to the backend.", "08006")));
        assertThat(response.getStatus()).isEqualTo(503);
        assertThat(response.getHeader("Retry-After")).isEqualTo("5");
        assertThat(response.getContentType()).startsWith("application/problem+json");
        assertThat(response.getContentAsString()).contains("database is unavailable").doesNotContain("JDBC", "backend");
    }

    @Test
    void aBrokenRollbackOverAClosedConnectionIsAnOutageToo() throws Exception {
        MockHttpServletResponse response = run(new org.springframework.orm.jpa.JpaSystemException(
                new RuntimeException("Unable to rollback", new SQLException("This connection has been closed.", "08003"))));
        assertThat(response.getStatus()).isEqualTo(503);
        // as seen in the drill: Hikari's own exception, without an SQLState
        assertThat(run(new org.springframework.orm.jpa.JpaSystemException(new RuntimeException("Unable to rollback against JDBC Connection",
                new SQLException("Connection is closed")))).getStatus()).isEqualTo(503);
    }

    @Test
    void anythingElseIsNotTouched() {
        assertThatThrownBy(() -> run(new IllegalStateException("a bug"))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> run(new RuntimeException(new SQLException("duplicate key", "23505"))))
                .isInstanceOf(RuntimeException.class);
    }

    private MockHttpServletResponse run(RuntimeException thrown) throws Exception {
        MockHttpServletResponse response = new MockHttpServletResponse();
        filter.doFilter(new MockHttpServletRequest("GET", "/api/v1/tokens"), response, new MockFilterChain() {
            @Override
            public void doFilter(ServletRequest request, ServletResponse res) {
                throw thrown;
            }
        });
        return response;
    }
}
