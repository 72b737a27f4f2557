/**
 * The platform application: one Spring Boot process that serves the REST API, the admin console
 * and the tenant portal, and runs tenants' workloads in the sandbox engine. Its features are the
 * subpackages; {@link PalisadeApplication} starts it and scans the whole {@code dev.palisade} tree,
 * so that the domain (tenant-model) and the web UI (web-ui) are picked up.
 */
package dev.palisade.platform;
