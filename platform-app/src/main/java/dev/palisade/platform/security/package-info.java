/**
 * Authentication for the API and the console: bearer tokens checked against the token table on
 * every request, HTTP Basic only to mint a token, and the console's form login with its second
 * factor and single sign-on, with CSRF and sessions that end once their user is deleted, their
 * tenant suspended or their password changed. Password logins are throttled per address, never by
 * locking the account, and every refused one is audited. Controllers take the authenticated
 * {@link Caller} as a parameter; role and tenant checks happen there, through {@code TenantAccess}.
 */
package dev.palisade.platform.security;
