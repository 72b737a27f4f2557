-- Palisade schema, version 55.1: tenant databases (issue 21). A tenant's PostgreSQL database and
-- role of the same name on the server the platform manages for tenants (never the platform's own).

create table tenant_database (
    id                   uuid         not null,
    tenant_id            bigint       not null,
    name                 varchar(40)  not null,
    db_name              varchar(63)  not null,
    secret_name          varchar(64)  not null,
    size_bytes           bigint       not null,
    connection_limit     integer      not null,
    statement_timeout_ms bigint       not null,
    read_only            boolean      not null default false,
    used_bytes           bigint       not null default 0,
    checked_at           timestamptz,
    created_at           timestamptz  not null default now(),
    created_by           varchar(100) not null,
    constraint tenant_database_pk primary key (id),
    constraint tenant_database_tenant_fk foreign key (tenant_id) references tenant (id) on delete cascade,
    constraint tenant_database_name_uk unique (tenant_id, name),
    constraint tenant_database_db_name_uk unique (db_name),
    constraint tenant_database_secret_uk unique (tenant_id, secret_name),
    constraint tenant_database_name_ck check (name ~ '^[a-z]([a-z0-9_-]{0,38}[a-z0-9])?$'),
    constraint tenant_database_size_ck check (size_bytes > 0),
    constraint tenant_database_limit_ck check (connection_limit > 0 and statement_timeout_ms > 0)
);
comment on table tenant_database is 'A tenant''s database on the tenant database server: db_name is both the database and its role (pg_hba admits a role to its own database only); size_bytes bounds it (past it read_only, checked every few seconds: used_bytes at checked_at) and counts against the tenant''s storage quota; secret_name: the tenant secret that holds its connection string.';

-- its bound counts as stored by the tenant from its creation, as a volume's size does
create trigger tenant_database_usage after insert or delete on tenant_database
    for each row execute function tenant_usage_on_image();

-- database.read_only / database.writable to the tenant's webhooks when the bound turns it read-only or back
create function tenant_database_event() returns trigger language plpgsql as $$
begin
    if new.read_only is distinct from old.read_only then
        perform webhook_enqueue(new.tenant_id, case when new.read_only then 'database.read_only' else 'database.writable' end,
            jsonb_build_object('database', new.name, 'usedBytes', new.used_bytes, 'sizeBytes', new.size_bytes));
    end if;
    return null;
end
$$;
create trigger tenant_database_read_only after update of read_only on tenant_database
    for each row execute function tenant_database_event();
