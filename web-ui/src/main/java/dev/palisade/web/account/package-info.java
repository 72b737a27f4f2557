/**
 * The signed-in user's password page (the current password required; afterwards every session
 * logs in again) and a tenant admin's reset of a member's password to a one-time password.
 */
package dev.palisade.web.account;
