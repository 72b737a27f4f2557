package dev.palisade.sandbox;

/** What the sandbox may reach on the network. */
public enum NetworkPolicy {
    /** No interface at all, not even loopback. */
    NONE,
    /** A private loopback interface of its own; nothing outside the sandbox. */
    LOOPBACK,
    /**
     * Loopback plus an interface to the public internet through the node (ptrace platform, as
     * root): private ranges, link-local, the node and other sandboxes are refused unless the
     * spec's {@link dev.palisade.sandbox.egress.EgressRules} allow them; a resolver is configured.
     */
    EGRESS
}
