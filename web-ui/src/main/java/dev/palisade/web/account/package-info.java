/**
 * The signed-in user's own account: the password page (the current password required; afterwards
 * every session logs in again), a tenant admin's reset of a member's password to a one-time
 * password, and the second factor (TOTP) page.
 */
package dev.palisade.web.account;
