/**
 * What a hosted service is in the domain: a workload of kind SERVICE with a {@link ServiceSpec}
 * (the port its program listens on inside the sandbox, a {@link RestartPolicy}, an optional health
 * path, a CPU rate) and a {@link ServiceStatus} that says how a deployment is doing beside its
 * workload's state. Running services is the platform application's work.
 */
package dev.palisade.model.service;
