package dev.palisade.platform.db;

import static org.assertj.core.api.Assertions.assertThat;

import dev.palisade.platform.TestDatabase;
import dev.palisade.platform.api.ApiTestSupport;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;

/** With spring.datasource.url set (as SPRING_DATASOURCE_URL would), the app uses that server and starts none of its own. */
class DatabaseSelectionTests extends ApiTestSupport {

    @Autowired
    ApplicationContext context;

    @Autowired
    DataSource dataSource;

    @Test
    void aConfiguredDatabaseIsUsedInsteadOfTheEmbeddedOne() throws Exception {
        assertThat(context.getBeansOfType(EmbeddedPostgres.class)).isEmpty();
        try (var connection = dataSource.getConnection()) {
            assertThat(connection.getMetaData().getURL()).isEqualTo(TestDatabase.url());
        }
        assertThat(jdbc.queryForObject("select max(version) from flyway_schema_history", String.class)).isNotBlank();
    }

    @Test
    void theConditionFollowsTheProperty() {
        var condition = new NoExternalDatabaseCondition();
        var withUrl = new org.springframework.mock.env.MockEnvironment()
                .withProperty("spring.datasource.url", "jdbc:postgresql://db:5432/palisade");
        var withoutUrl = new org.springframework.mock.env.MockEnvironment();

        assertThat(condition.getMatchOutcome(contextWith(withUrl), null).isMatch()).isFalse();
        assertThat(condition.getMatchOutcome(contextWith(withoutUrl), null).isMatch()).isTrue();
    }

    private static org.springframework.context.annotation.ConditionContext contextWith(
            org.springframework.core.env.Environment environment) {
        return new org.springframework.context.annotation.ConditionContext() {
            @Override
            public org.springframework.beans.factory.support.BeanDefinitionRegistry getRegistry() {
                throw new UnsupportedOperationException();
            }

            @Override
            public org.springframework.beans.factory.config.ConfigurableListableBeanFactory getBeanFactory() {
                return null;
            }

            @Override
            public org.springframework.core.env.Environment getEnvironment() {
                return environment;
            }

            @Override
            public org.springframework.core.io.ResourceLoader getResourceLoader() {
                return new org.springframework.core.io.DefaultResourceLoader();
            }

            @Override
            public ClassLoader getClassLoader() {
                return getClass().getClassLoader();
            }
        };
    }
}
