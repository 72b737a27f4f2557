package dev.palisade.platform.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.palisade.platform.service.ServiceProperties;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/** The apps domain: what it routes, and the start refused when it could share the console's cookies. */
class AppsSiteTests {

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties({ServiceProperties.class, EdgeProperties.class})
    @Import(AppsSite.class)
    static class Edge {
    }

    private final ApplicationContextRunner context = new ApplicationContextRunner().withUserConfiguration(Edge.class);

    @Test
    void theOneCommandStartServesAppsAtAppsLocalhostBesideTheConsoleOnLocalhost() {
        context.run(c -> {
            assertThat(c).hasNotFailed();
            AppsSite apps = c.getBean(AppsSite.class);
            assertThat(apps.domain()).isEqualTo("apps.localhost");
            assertThat(apps.service("web.acme.apps.localhost")).contains(new AppsSite.Service("acme", "web"));
            assertThat(apps.service("WEB.Acme.apps.localhost.")).contains(new AppsSite.Service("acme", "web"));
            assertThat(apps.url("http", 8080, "acme", "web")).isEqualTo("http://web.acme.apps.localhost:8080/");
            assertThat(apps.url("https", 443, "acme", "web")).isEqualTo("https://web.acme.apps.localhost/");
        });
    }

    @Test
    void anAppsDomainThatIsTheConsolesHostOrAParentOfItRefusesTheStart() {
        for (String[] bad : new String[][] {{"localhost", "localhost"}, {"example.com", "console.example.com"},
                {"Example.COM.", "a.b.example.com"}, {"apps.example.com", "x.y.apps.example.com"}, {"", "localhost"},
                {"not a domain", "localhost"}}) {
            context.withPropertyValues("palisade.services.apps-domain=" + bad[0], "palisade.edge.console-host=" + bad[1])
                    .run(c -> assertThat(c).as(bad[0] + " / " + bad[1]).hasFailed().getFailure()
                            .rootCause().isInstanceOf(IllegalStateException.class)
                            .hasMessageContaining("palisade."));
        }
        context.withPropertyValues("palisade.services.apps-domain=example-apps.net",
                "palisade.edge.console-host=console.example.com").run(c -> assertThat(c).hasNotFailed());
    }

    @Test
    void onlyServiceDotTenantNamesAServiceAndTheConsolesHostIsNeverTheIngresss() {
        AppsSite apps = new AppsSite("apps.localhost", "localhost");
        assertThat(apps.owns("localhost")).isFalse();
        assertThat(apps.owns("127.0.0.1")).isFalse();
        assertThat(apps.owns("apps.localhost")).isTrue();
        assertThat(apps.owns("evilapps.localhost")).isFalse();
        assertThat(apps.service("apps.localhost")).isEmpty();
        assertThat(apps.service("acme.apps.localhost")).isEmpty();
        assertThat(apps.service("x.web.acme.apps.localhost")).isEmpty();
        assertThat(apps.service("we_b.acme.apps.localhost")).isEmpty();
        assertThatThrownBy(() -> new AppsSite("apps.localhost", "web.acme.apps.localhost"))
                .hasMessageContaining("parent of it");
        assertThat(apps.reachesConsole("localhost")).isTrue();
        assertThat(apps.reachesConsole(".localhost")).isTrue();
        assertThat(apps.reachesConsole("apps.localhost")).isFalse();
    }
}
