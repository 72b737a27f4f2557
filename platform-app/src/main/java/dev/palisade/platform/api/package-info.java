/**
 * What every operation of REST API v1 shares: errors as application/problem+json (RFC 9457,
 * {@link ApiProblems}) with no stack trace or internal message, a bound on request bodies, paging
 * and sorting of lists ({@link Paging}, {@link PageResponse}) on the fields a list offers only, and
 * the OpenAPI document. {@link TenantAccess} is the one place that decides whether a caller may
 * touch the tenant named in a path; another tenant answers 404, as a missing one does.
 */
package dev.palisade.platform.api;
