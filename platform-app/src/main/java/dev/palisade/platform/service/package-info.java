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
 * concurrent-workload slots and one slot of the node's service pool while it runs (apart from
 * the job pool, no tenant past its share: {@code palisade.dispatcher.*}). It runs at a CPU rate
 * ({@code cpuCores}, a cgroup quota on ptrace), never against the jobs' per-run CPU-time ceiling,
 * and is charged its CPU as it runs. One with {@code minInstances} 0 scales to zero: once idle
 * for its timeout the runner stops its sandbox and waits (status IDLE) until a request wakes it
 * through the {@link dev.palisade.platform.service.ServiceRegistry} (which holds the waiting
 * requests, a bounded number, until the instance is routed). Its log is a ring of its newest lines.
 *
 * <p><b>Instances.</b> A deployment with {@code instances} N runs N workloads: its own (instance
 * 0) and N-1 more, rows of {@code service_deployment} naming it as {@code primary_id}, each
 * claimed by whichever node the dispatcher gives it (spread: a node that runs one leaves the next
 * to another live node for a few seconds), with its own lease, log, restarts and CPU charge. Each
 * instance, once healthy, adds the next one and stops one instance of an older deployment (its
 * instance 0 last, which stops the rest of it): a redeploy rolls one instance at a time. The
 * registry routes every healthy instance, a request to the one with the fewest in flight; one the
 * ingress could not reach is out of rotation until its runner probes it healthy. A stop first
 * takes an instance out of rotation and ends it once its requests in flight are answered. An
 * instance whose node dies (its lease lapses) goes back to the queue, whatever its attempts, and
 * a live node claims it again after the retry back-off: a replica is refilled, never lost.
 *
 * <p><b>Routing across nodes.</b> The route table
 * ({@link dev.palisade.platform.service.ServiceRegistry}) holds the services this node runs; with
 * role {@code all} on one machine every service is local. With several instances (roles
 * {@code api} and {@code worker}), every node that runs workloads opens an internal listener
 * ({@link dev.palisade.platform.ops.InternalListener}: a second Tomcat connector, apart from the
 * public one, {@code palisade.node.internal-port/-bind/-address}) and publishes its address in
 * {@code node.ingress_address} with each heartbeat. An instance whose ingress receives a request
 * for a service it does not run looks up the nodes of the service's healthy instances with
 * a live lease ({@link dev.palisade.platform.service.ServiceStore#healthyPlacements}; cached two
 * seconds, dropped when the node cannot be reached or answers 421 because the service left
 * it or none of its instances there accepts a connection, upon which a bodiless request is looked
 * up and sent again, to another node) and forwards the request there over a
 * kept-alive connection, streaming both ways, with the shared {@code palisade.node.internal-secret}
 * (required when roles are split). The node checks the secret in constant time (403 otherwise),
 * answers nothing else on that listener, and does the local hop into the sandbox. Forwarding
 * headers are made once at the edge from the real client and passed on unchanged; the edge
 * counts the request. Sandboxes cannot reach the listener (network policy none, or a loopback
 * of their own); on Kubernetes the network policy opens it to the API pods only.
 */
package dev.palisade.platform.service;
