/**
 * Images: the root filesystems workloads run on, by name ({@link Images}). {@code host} is the
 * host userland read-only with secrets left out and {@code scratch} an empty directory; OCI image
 * archives, published by a platform admin for every tenant or uploaded by a tenant admin for that
 * tenant alone ({@link TenantImages}, counted against its storage quota), are checked and unpacked
 * as streams, kept in the database and unpacked once per node. The REST API and the console's and
 * portal's image pages go through the same operations.
 */
package dev.palisade.platform.image;
