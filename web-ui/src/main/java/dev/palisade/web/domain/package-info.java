/**
 * The portal's Domains page: a tenant's custom domains, the service each serves, its
 * certificate's state and expiry; claimed, switched to HSTS, renewed and released by its admins
 * through {@link dev.palisade.web.domain.DomainActions}, which the platform application
 * implements with the REST API's own operations.
 */
package dev.palisade.web.domain;
