/**
 * Volumes: a tenant's named, sized, persistent file systems, mounted into its services and jobs
 * at a path, read-write or read-only. Each is an ext4 image on the disk of one node (its volume
 * home, {@link dev.palisade.platform.volume.VolumeDisk}), made and loop-mounted by the engine's
 * {@link dev.palisade.sandbox.VolumeImage}, so the kernel bounds it; the workloads that mount it
 * are claimed only by that node ({@link dev.palisade.platform.dispatch.WorkloadStore}), and
 * {@link dev.palisade.platform.volume.VolumePlacement} tells the tenant when that node is down.
 * The REST API ({@link dev.palisade.platform.volume.VolumeController}) creates, lists, deletes
 * (refused while in use), exports and imports them as tar streams; the portal uses the same
 * operations.
 */
package dev.palisade.platform.volume;
