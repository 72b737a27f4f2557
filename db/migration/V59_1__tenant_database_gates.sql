-- Each tenant with a database reaches the embedded tenant database server through a port of its
-- own on the node's service address (issue 21): a sandbox's egress chain names only its tenant's
-- port, so another tenant's database is refused at TCP and recorded, not left to pg_hba alone.
-- The port is kept because the tenant's DATABASE_URL secrets name it.

create table tenant_database_gate (
    tenant_id   bigint       not null,
    port        integer      not null,
    created_at  timestamptz  not null default now(),
    constraint tenant_database_gate_pk primary key (tenant_id),
    constraint tenant_database_gate_tenant_fk foreign key (tenant_id) references tenant (id) on delete cascade,
    constraint tenant_database_gate_port_uk unique (port),
    constraint tenant_database_gate_port_ck check (port between 1 and 65535)
);

comment on table tenant_database_gate is 'The port on the service address through which one tenant''s sandboxes reach the embedded tenant database server; the gate there admits only that tenant''s roles.';
