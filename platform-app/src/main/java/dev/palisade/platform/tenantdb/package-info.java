/**
 * Tenant databases: a tenant's own PostgreSQL database and role (of one name, {@code t<tenant>_<name>})
 * on a server the platform manages for tenants, never the platform's own database. By default that
 * server is a second embedded cluster the platform starts and stops ({@link
 * dev.palisade.platform.tenantdb.TenantServer}), listening on loopback; each tenant with a database
 * has a gate of its own on the node's service address ({@link dev.palisade.platform.tenantdb.DatabaseGates}),
 * given only to that tenant's sandboxes ({@link dev.palisade.sandbox.egress.EgressRules#services()}) and
 * admitting only its roles;
 * with {@code palisade.tenant-databases.url} it is an external server reached as a role allowed to
 * create roles and databases. Each database has a connection limit, a statement timeout and a size
 * bound counted against the tenant's storage quota; past the bound a periodic check turns it
 * read-only and tells the tenant ({@link dev.palisade.platform.tenantdb.DatabaseSizeCheck}). Its
 * connection string is a tenant secret that services are given as any other.
 */
package dev.palisade.platform.tenantdb;
