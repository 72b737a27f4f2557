-- egress by policy: a workload's network policy, and each tenant's egress allowlist

alter table workload add column network varchar(16);
alter table workload add constraint workload_network_check
    check (network is null or network in ('none', 'loopback', 'egress'));
comment on column workload.network is
    'the sandbox''s network policy as submitted; null: the kind''s default (job none, service loopback)';

create table tenant_egress_allow (
    tenant_id   bigint       not null,
    destination varchar(40)  not null,
    created_at  timestamptz  not null default now(),
    created_by  varchar(100) not null,
    constraint tenant_egress_allow_pk primary key (tenant_id, destination),
    constraint tenant_egress_allow_tenant_fk foreign key (tenant_id) references tenant (id) on delete cascade
);
comment on table tenant_egress_allow is
    'destinations (IPv4 CIDR with an optional :port) a tenant''s egress sandboxes may reach although the policy refuses them by default; set by platform admins';
