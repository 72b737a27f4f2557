/**
 * Users and their {@link Role}: a platform admin belongs to no tenant, every other user to exactly
 * one, as its admin or member. {@link UserService} creates, changes the role of and removes users
 * (audited), and reads for login the {@link LoginUser} that authentication needs; passwords are
 * stored only as bcrypt hashes.
 */
package dev.palisade.model.user;
