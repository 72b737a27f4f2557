/**
 * The portal's Members page: the tenant's members, seen by all of them; only a tenant admin
 * invites, removes and changes the role of a member, and never their own, so that a tenant cannot
 * lose its last admin by mistake.
 */
package dev.palisade.web.member;
