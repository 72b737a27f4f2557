package dev.palisade.sandbox;

/** What the sandbox may reach on the network. */
public enum NetworkPolicy {
    /** No interface at all, not even loopback. */
    NONE,
    /** A private loopback interface of its own; nothing outside the sandbox. */
    LOOPBACK
}
