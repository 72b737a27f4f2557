/**
 * Egress by policy on the ptrace platform: the host-side network a sandbox with
 * {@link dev.palisade.sandbox.NetworkPolicy#EGRESS} gets. Each sandbox has a routed veth pair
 * (one end, {@code eth0}, inside its network namespace; a /30 of the node's egress subnet) and a
 * chain of its own in one nftables table ({@code inet palisade_egress}) that allows the public
 * internet and its {@link dev.palisade.sandbox.egress.EgressRules}' allowlist and refuses the rest
 * (the node itself, other sandboxes, link-local, private ranges, IPv6), logs each refusal to the
 * kernel log with a prefix naming the sandbox, and NATs what leaves. {@code tc} shapes its
 * bandwidth on both ends of the pair. The engine builds it when the sandbox's namespace exists and
 * removes it when the sandbox ends; what a crashed engine left is swept at the next start.
 */
package dev.palisade.sandbox.egress;
