/**
 * Operations: what a deployment needs from the application rather than from its features. The
 * node's role ({@code palisade.node.role=api|worker|all}), the actuator's own filter chain
 * (health open, Prometheus open only on a separate management port), login-failure metrics,
 * tenant and workload ids in the logging context (MDC, so they land in JSON log lines), and a
 * 503 instead of a 500 while the database is unreachable.
 */
package dev.palisade.platform.ops;
