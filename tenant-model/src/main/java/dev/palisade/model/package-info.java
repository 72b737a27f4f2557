/**
 * Palisade's domain: tenants, quotas, users, API tokens, audit events and workloads, stored in
 * PostgreSQL through Spring Data JPA. Nothing here knows about HTTP; callers pass the acting
 * user's name so that every change lands in the audit log.
 */
package dev.palisade.model;
