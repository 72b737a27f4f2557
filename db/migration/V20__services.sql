-- Palisade schema, version 20: hosted services (issue 7). A service is a workload of kind
-- SERVICE: it runs until stopped, restarted on crash, and is reachable through the ingress.

alter table workload add column kind varchar(16) not null default 'JOB';
alter table workload add constraint workload_kind_ck check (kind in ('JOB', 'SERVICE'));
comment on column workload.kind is 'JOB runs to completion; SERVICE listens on a port and is kept running (see service_deployment).';

create table service_deployment (
    workload_id     uuid         not null,
    tenant_id       bigint       not null,
    service_name    varchar(40)  not null,
    port            integer      not null,
    restart_policy  varchar(16)  not null,
    health_path     varchar(200),
    status          varchar(16)  not null default 'PENDING',
    restarts        integer      not null default 0,
    last_exit       varchar(300),
    healthy_at      timestamptz,
    updated_at      timestamptz  not null default now(),
    constraint service_deployment_pk primary key (workload_id),
    constraint service_deployment_workload_fk foreign key (workload_id) references workload (id) on delete cascade,
    constraint service_deployment_port_ck check (port between 1 and 65535),
    constraint service_deployment_restart_ck check (restart_policy in ('ALWAYS', 'ON_FAILURE', 'NEVER')),
    constraint service_deployment_status_ck check (status in ('PENDING', 'STARTING', 'HEALTHY', 'BACKOFF', 'CRASH_LOOP', 'STOPPED')),
    constraint service_deployment_name_ck check (service_name ~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$')
);
create index service_deployment_name_ix on service_deployment (tenant_id, service_name);
comment on table service_deployment is 'One deployment of a service (one SERVICE workload): what it listens on, how it is restarted, and how it is doing now. Redeploying adds a row; the older one stops once the new one is healthy.';
