/**
 * This instance's worker: {@link Dispatcher} claims queued workloads into the node's job and
 * service pools, with no tenant past its share of a pool, and runs each on a thread of its own;
 * a heartbeat renews the leases of what runs here and picks up cancels, and a reaper fails or
 * requeues work whose node stopped renewing. {@link WorkloadStore} is its view of the workload
 * table in plain SQL, where every write that ends a run holds only while this node still holds
 * the lease.
 */
package dev.palisade.platform.dispatch;
