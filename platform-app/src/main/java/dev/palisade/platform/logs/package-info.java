/**
 * Workload logs: the sink that stores a running program's output in chunks, and the node's one
 * fan-out that follows them live (database notices, shared delivery threads, caps, heartbeats).
 */
package dev.palisade.platform.logs;
