-- Palisade schema, version 23: routing ingress requests across nodes. Each worker publishes the
-- address of its internal listener beside its heartbeat; an instance that receives a request for
-- a service running elsewhere forwards it there.

alter table node add column ingress_address varchar(200);
comment on column node.ingress_address is 'host:port of this node''s internal ingress listener (palisade.node.internal-*), written with every heartbeat; null when it has none. Reached only by other instances, with the shared node secret.';
