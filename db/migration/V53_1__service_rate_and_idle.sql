-- Services are limited by a CPU rate (cores), not by the per-run CPU-time ceiling of jobs, and may
-- scale to zero: stopped after an idle timeout, started again by the next request.
alter table service_deployment
    add column cpu_millicores integer not null default 0,
    add column min_instances smallint not null default 1,
    add column idle_timeout_seconds integer not null default 0,
    add constraint service_deployment_cpu_ck check (cpu_millicores >= 0),
    add constraint service_deployment_min_instances_ck check (min_instances in (0, 1)),
    add constraint service_deployment_idle_ck check (idle_timeout_seconds between 0 and 86400);

alter table service_deployment drop constraint service_deployment_status_ck;
alter table service_deployment add constraint service_deployment_status_ck
    check (status in ('PENDING', 'STARTING', 'HEALTHY', 'IDLE', 'BACKOFF', 'CRASH_LOOP', 'STOPPED'));

comment on column service_deployment.cpu_millicores is 'The CPU rate its sandbox may use, in thousandths of a core (0: the platform default, palisade.services.default-cpu-cores). Services have no CPU-time total: they are charged as they run.';
comment on column service_deployment.min_instances is '0: scaled to zero after idle_timeout_seconds without a request (status IDLE, no sandbox, nothing charged), started again by the next request; 1: always running.';
