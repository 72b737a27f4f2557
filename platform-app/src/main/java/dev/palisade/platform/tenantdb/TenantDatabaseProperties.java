package dev.palisade.platform.tenantdb;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.StringUtils;
import org.springframework.util.unit.DataSize;

/**
 * Tenant databases ({@code palisade.tenant-databases.*}).
 *
 * @param url                     JDBC URL of an external server, reached as {@code username}; empty:
 *                                the platform runs its own second cluster in {@code <data dir>/tenant-postgres}
 * @param username                an external server's role allowed to create roles and databases
 *                                ({@code CREATEROLE CREATEDB})
 * @param password                its password
 * @param host                    the host name an external server's databases are reached at by
 *                                tenants' programs (their {@code DATABASE_URL}); the URL's host when empty
 * @param port                    the embedded cluster's port; 0: a free one chosen at its first start
 *                                and kept ({@code <data dir>/tenant-postgres.port}), since connection
 *                                strings name it
 * @param checkInterval           how often every database's size is compared with its bound
 * @param defaultSize             a database's size bound unless it asks for one
 * @param maxSize                 the largest bound a tenant may ask for (its storage quota bounds them all)
 * @param defaultConnectionLimit  connections a database takes at once unless it asks
 * @param maxConnectionLimit      the most it may ask for
 * @param defaultStatementTimeout a statement's longest run unless it asks
 * @param maxStatementTimeout     the most it may ask for
 * @param maxPerTenant            databases one tenant keeps
 */
@ConfigurationProperties("palisade.tenant-databases")
public record TenantDatabaseProperties(
        String url,
        String username,
        String password,
        String host,
        @DefaultValue("0") int port,
        @DefaultValue("30s") Duration checkInterval,
        @DefaultValue("256MB") DataSize defaultSize,
        @DefaultValue("16GB") DataSize maxSize,
        @DefaultValue("10") int defaultConnectionLimit,
        @DefaultValue("100") int maxConnectionLimit,
        @DefaultValue("30s") Duration defaultStatementTimeout,
        @DefaultValue("1h") Duration maxStatementTimeout,
        @DefaultValue("10") int maxPerTenant) {

    public boolean external() {
        return StringUtils.hasText(url);
    }
}
