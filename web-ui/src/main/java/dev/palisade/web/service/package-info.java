/**
 * Hosted services in the portal and the console: the list (state, restarts, requests, address),
 * the deploy form (an image or a code archive, command, port, health path, restart policy,
 * environment, secrets, limits), a service's page with its live log, deployment history and
 * roll back, stop, start and delete; and the portal's own images (upload with progress, delete).
 * The platform application implements {@link dev.palisade.web.service.ServiceConsole} and
 * {@link dev.palisade.web.service.ImageConsole} with the REST API's own operations.
 */
package dev.palisade.web.service;
