/**
 * The audit trail: one {@link AuditEvent} per change, saying who did what to which target of which
 * tenant, and never updated. {@link AuditLog} records events in the caller's transaction, so that a
 * change and its event commit or roll back together, and searches them by an {@link AuditQuery}.
 */
package dev.palisade.model.audit;
