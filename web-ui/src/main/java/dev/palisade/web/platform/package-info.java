/**
 * The console's pages about the platform itself (platform admins): nodes and their heartbeats,
 * images and their import, and the security events of sandboxed programs, read by
 * {@link PlatformQueries} from the tables the workers keep. Importing an image goes through
 * {@link ImageImports}, which the platform application implements with the REST API's own checks.
 */
package dev.palisade.web.platform;
