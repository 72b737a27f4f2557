-- Retention: each tenant keeps finished workloads (with their logs, inputs and artifacts) for a
-- number of days; a scheduled purge deletes what is older. Deleting a workload no longer lowers
-- the usage of the month it ran in (only what is stored now), so a purge or a deleted service
-- never gives CPU seconds back.
create table tenant_retention (
    tenant_id   bigint       not null,
    days        integer      not null,
    updated_at  timestamptz  not null default now(),
    constraint tenant_retention_pk primary key (tenant_id),
    constraint tenant_retention_tenant_fk foreign key (tenant_id) references tenant (id) on delete cascade,
    constraint tenant_retention_days_ck check (days between 1 and 36500)
);
comment on table tenant_retention is 'How many days a tenant keeps finished workloads, their logs and artifacts; none: palisade.retention.default-days.';

create index workload_finished_ix on workload (finished_at) where finished_at is not null;

create or replace function tenant_usage_on_workload() returns trigger language plpgsql as $$
declare
    d_queued   integer := 0;
    d_running  integer := 0;
    d_reserved bigint  := 0;
    d_bytes    bigint  := 0;
    d_cpu      bigint  := 0;
    d_wall     bigint  := 0;
    d_count    integer := 0;
    tenant     bigint;
    created    timestamptz;
    -- inserts on the row admission locks; later changes spread by workload over parts 1-8
    shard      smallint := 0;
begin
    if tg_op in ('UPDATE', 'DELETE') then
        shard := 1 + (hashtext(old.id::text) & 7);
        tenant := old.tenant_id;
        created := old.created_at;
        d_queued := d_queued - (old.state = 'QUEUED')::int;
        d_running := d_running - (old.state = 'RUNNING')::int;
        d_reserved := d_reserved - workload_cpu_reserved(old.state, old.limits);
        d_bytes := d_bytes - (old.input_bytes + old.log_bytes + old.artifact_bytes);
        d_cpu := d_cpu - coalesce(old.cpu_millis, 0);
        d_wall := d_wall - coalesce(old.wall_millis, 0);
        d_count := d_count - 1;
    end if;
    if tg_op in ('INSERT', 'UPDATE') then
        tenant := new.tenant_id;
        created := new.created_at;
        d_queued := d_queued + (new.state = 'QUEUED')::int;
        d_running := d_running + (new.state = 'RUNNING')::int;
        d_reserved := d_reserved + workload_cpu_reserved(new.state, new.limits);
        d_bytes := d_bytes + (new.input_bytes + new.log_bytes + new.artifact_bytes);
        d_cpu := d_cpu + coalesce(new.cpu_millis, 0);
        d_wall := d_wall + coalesce(new.wall_millis, 0);
        d_count := d_count + 1;
    end if;
    if tg_op = 'DELETE' and not exists (select 1 from tenant t where t.id = tenant) then
        return null; -- the tenant itself is being deleted, its totals with it
    end if;
    if d_queued <> 0 or d_running <> 0 or d_reserved <> 0 or d_bytes <> 0 then
        insert into tenant_usage as u (tenant_id, part, queued, running, reserved_cpu_millis, stored_bytes)
        values (tenant, shard, d_queued, d_running, d_reserved, d_bytes)
        on conflict (tenant_id, part) do update set queued = u.queued + excluded.queued,
            running = u.running + excluded.running,
            reserved_cpu_millis = u.reserved_cpu_millis + excluded.reserved_cpu_millis,
            stored_bytes = u.stored_bytes + excluded.stored_bytes;
    end if;
    -- a month's usage is history: a workload deleted later (the retention purge, a service deleted)
    -- is still what the tenant used that month, and its CPU is never given back to the quota
    if tg_op <> 'DELETE' and (d_cpu <> 0 or d_wall <> 0 or d_count <> 0 or d_bytes <> 0) then
        insert into tenant_usage_month as m (tenant_id, month, part, cpu_millis, wall_millis, workloads, bytes)
        values (tenant, workload_usage_month(created), shard, d_cpu, d_wall, d_count, d_bytes)
        on conflict (tenant_id, month, part) do update set cpu_millis = m.cpu_millis + excluded.cpu_millis,
            wall_millis = m.wall_millis + excluded.wall_millis,
            workloads = m.workloads + excluded.workloads,
            bytes = m.bytes + excluded.bytes;
    end if;
    return null;
end
$$;
