/**
 * Hosted services (issue 7): workloads of kind SERVICE that listen on a port inside their
 * sandbox and are kept running, reachable over HTTP through the ingress
 * ({@code dev.palisade.platform.ingress}).
 *
 * <p><b>Lifecycle.</b> A deployment is a workload (admission, quota, lease, cancel, log are the
 * workload's) plus a {@code service_deployment} row. The dispatcher claims it like a job; the
 * {@link dev.palisade.platform.service.ServiceRunner} then keeps it running for as long as this
 * node holds the lease: sandbox with network policy LOOPBACK (a loopback private to its own
 * namespace, nothing else), probed until it accepts a connection (or its health path answers
 * 2xx/3xx), then routed to; restarted by policy after a back-off that doubles with each quick
 * crash, CRASH_LOOP after {@code crash-loop-after} of them. Stop = cancel. Redeploy = a new
 * deployment of the same name; the older ones are cancelled when the new one turns healthy.
 * A suspended tenant's services stop within two seconds. A service holds one of the tenant's
 * concurrent-workload slots and one of the node's capacity slots while it runs; its CPU time,
 * summed over restarts, is charged when the deployment ends.
 *
 * <p><b>Routing across nodes (not built).</b> The route table
 * ({@link dev.palisade.platform.service.ServiceRegistry}) is local: with role {@code all} on one
 * machine every service is local. With several workers, a request reaching an instance that does
 * not run the service gets a 503 naming the node that does. Cross-node routing would need: each
 * node to publish an internal ingress address (in the {@code node} table beside its
 * heartbeat); the receiving instance to look up {@code workload.node} for the service's healthy
 * deployment (cached a few seconds, invalidated by the lease) and forward the request to that
 * node's internal endpoint, which then does the local hop into the sandbox; that hop
 * authenticated (mTLS or a shared secret between nodes, never reachable by tenants) and
 * excluded from the public listener; forwarded headers set once at the edge and passed through;
 * and a Kubernetes Service/Ingress in front of the api replicas. Alternatively a
 * {@code palisade-ingress} Deployment that only forwards.
 */
package dev.palisade.platform.service;
