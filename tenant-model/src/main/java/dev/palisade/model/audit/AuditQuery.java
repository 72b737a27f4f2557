package dev.palisade.model.audit;

import java.time.Instant;

/** Filters for the audit log; a null field does not filter. */
public record AuditQuery(String tenantSlug, String action, String actor, Instant from, Instant to) {
}
