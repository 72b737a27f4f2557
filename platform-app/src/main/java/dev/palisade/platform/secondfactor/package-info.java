/**
 * A second factor for password logins: time-based one-time passwords (TOTP, RFC 6238) that a
 * user enrols from the account page, with one-use recovery codes stored hashed. Once enrolled,
 * the console asks for a code after the password and HTTP Basic wants one in a header; API
 * tokens already minted are not affected. Platform admins can be required to enrol
 * ({@code palisade.security.second-factor.required-for-platform-admins}).
 */
package dev.palisade.platform.secondfactor;
