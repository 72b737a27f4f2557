-- Palisade schema, version 40.1: per-tenant secrets (issue 20). A value is stored only sealed
-- (AES-256-GCM under the platform's secret key); the API never returns it.

create table tenant_secret (
    tenant_id   bigint       not null,
    name        varchar(64)  not null,
    sealed      bytea        not null,
    key_id      varchar(16)  not null,
    version     integer      not null default 1,
    created_at  timestamptz  not null default now(),
    updated_at  timestamptz  not null default now(),
    updated_by  varchar(100) not null,
    constraint tenant_secret_pk primary key (tenant_id, name),
    constraint tenant_secret_tenant_fk foreign key (tenant_id) references tenant (id) on delete cascade,
    constraint tenant_secret_name_ck check (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$')
);
comment on table tenant_secret is 'A tenant''s named secret. sealed = 12-byte nonce || AES-GCM ciphertext and tag, with the tenant id and name as associated data (a sealed value moved to another row does not open); key_id names the key that sealed it (rotation re-seals every row under the new key).';

create table workload_secret (
    workload_id  uuid         not null,
    secret_name  varchar(64)  not null,
    env_name     varchar(128),
    constraint workload_secret_workload_fk foreign key (workload_id) references workload (id) on delete cascade,
    constraint workload_secret_uk unique (workload_id, secret_name, env_name)
);
create index workload_secret_name_ix on workload_secret (secret_name);
comment on table workload_secret is 'The secrets a workload is given, by name: as the environment variable env_name, or (env_name null) as the file /run/secrets/<secret_name>. Resolved when its sandbox starts; the value is never copied here.';
