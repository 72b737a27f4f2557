/**
 * The console's audit log page ({@code /admin/audit}, platform admins): every tenant's audit
 * events, newest first, filtered by tenant, action, actor and days.
 */
package dev.palisade.web.audit;
