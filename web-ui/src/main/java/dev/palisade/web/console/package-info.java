/**
 * The front door shared by both front ends: the login page (with the single sign-on buttons), and
 * the root address, which sends a platform admin to the console ({@code /admin}) and everybody
 * else to the portal ({@code /portal}).
 */
package dev.palisade.web.console;
