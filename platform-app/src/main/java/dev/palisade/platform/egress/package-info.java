/**
 * Egress by policy on the platform: each tenant's egress allowlist (destinations a platform admin
 * lets its {@code egress} sandboxes reach although the policy refuses them by default), the
 * node-wide egress settings, the network policy a workload's sandbox gets, and the security
 * events its refused connections become.
 */
package dev.palisade.platform.egress;
