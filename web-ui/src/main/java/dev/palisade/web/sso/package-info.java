/**
 * The console's single sign-on page ({@code /admin/sso}): OpenID Connect providers, the mappings
 * that place a provider's users in a tenant with a role, and which tenants sign in only through a
 * provider; plus the "Sign in with" buttons of the login page. The platform does the work behind
 * {@link dev.palisade.web.sso.SsoActions}.
 */
package dev.palisade.web.sso;
