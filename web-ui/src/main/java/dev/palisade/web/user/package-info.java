/**
 * The console's Users pages (platform admins): every tenant's users, searchable by name or tenant,
 * and creating or removing a tenant's user. Its {@link UserForm}, a new user with a first password,
 * serves the portal's member invitations too.
 */
package dev.palisade.web.user;
