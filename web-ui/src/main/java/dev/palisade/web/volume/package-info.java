/**
 * The portal's Volumes page: a tenant's volumes by name, size and state, what mounts them and
 * how to mount one in a service; created and deleted by its admins through
 * {@link dev.palisade.web.volume.VolumeActions}, which the platform application implements with
 * the REST API's own operations.
 */
package dev.palisade.web.volume;
