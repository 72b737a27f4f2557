/**
 * Passwords: a user changes their own (the current one required; every other session of theirs
 * ends), an admin resets one to a one-time password that must be changed at the next login, and
 * a policy every new password meets. All of it audited.
 */
package dev.palisade.platform.account;
