/**
 * The portal's Domains page: a tenant's custom domains, the service each serves, its
 * certificate's state and expiry, the TXT record a DNS-01 order awaits; claimed (by HTTP-01 or
 * DNS-01), switched to HSTS, renewed and released by its admins
 * through {@link dev.palisade.web.domain.DomainActions}, which the platform application
 * implements with the REST API's own operations.
 */
package dev.palisade.web.domain;
