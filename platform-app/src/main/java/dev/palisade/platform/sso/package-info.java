/**
 * Single sign-on with OpenID Connect through Spring Security's OAuth2 client. Providers live in
 * the database ({@link dev.palisade.platform.sso.SsoProviders}, client secrets sealed with the
 * {@code secret} package's keys) and are served to Spring Security at run time by
 * {@link dev.palisade.platform.sso.DatabaseClientRegistrations}. A provider's user is placed by
 * {@link dev.palisade.platform.sso.SsoMappings} (a group claim or a verified email's domain gives
 * a tenant and a role) and matched or created by {@link dev.palisade.platform.sso.SsoAccounts};
 * whoever no mapping fits is refused with a page saying why, never created in some default
 * tenant. {@link dev.palisade.platform.sso.TenantLoginPolicy} turns local passwords off per
 * tenant. Every SSO login and refusal is audited ({@code sso.login}, {@code sso.refused}).
 */
package dev.palisade.platform.sso;
