-- Palisade schema, version 21: usage kept as running totals, and a delay before a retried run.
--
-- Admission used to sum the tenant's whole history of workloads on every submit. Now two small
-- tables hold the totals, kept by triggers on workload in the same transaction as the change
-- itself (whichever code path makes it: submit, claim, finish, reaper, cancel, hand-back), so
-- they cannot drift from the workload table.
--
-- Each tenant's totals are spread over a few rows ("parts") that a reader adds up. Part 0 takes
-- what inserts add (submits); admission locks that row, which serializes concurrent submits of
-- one tenant, so the queue bound and the monthly CPU check see every admission before them.
-- Parts 1-8 take what later changes of a workload add (claim, finish, log bytes, reaper, cancel),
-- chosen by the workload's id: the workers never wait for a submit's lock nor for each other on
-- one hot row, and admission never waits for them. What admission cannot see of a worker's
-- uncommitted change only makes it stricter (a claim or a finish lowers queued and reserved CPU,
-- and a finish adds no more CPU used than it frees of its reservation), except a run put back in
-- the queue (reaper, hand-back): it was admitted before and is not refused now.

create table tenant_usage (
    tenant_id            bigint   not null,
    part                 smallint not null,
    queued               integer not null default 0,
    running              integer not null default 0,
    reserved_cpu_millis  bigint  not null default 0,
    stored_bytes         bigint  not null default 0,
    constraint tenant_usage_pk primary key (tenant_id, part),
    constraint tenant_usage_tenant_fk foreign key (tenant_id) references tenant (id) on delete cascade
);
comment on table tenant_usage is 'Per tenant, now (the sum of its parts): workloads queued and running, the CPU ceilings they may still use (reserved_cpu_millis), bytes stored. Kept by triggers on workload; admission locks part 0.';

create table tenant_usage_month (
    tenant_id    bigint   not null,
    month        date     not null,
    part         smallint not null,
    cpu_millis   bigint not null default 0,
    wall_millis  bigint not null default 0,
    workloads    bigint not null default 0,
    bytes        bigint not null default 0,
    constraint tenant_usage_month_pk primary key (tenant_id, month, part),
    constraint tenant_usage_month_tenant_fk foreign key (tenant_id) references tenant (id) on delete cascade
);
comment on table tenant_usage_month is 'Per tenant and month (UTC, first day) of the workloads created in it (the sum of its parts): CPU and wall time used, how many, bytes stored. Kept by triggers on workload.';

-- what a workload in a given state counts for
create function workload_cpu_reserved(state varchar, limits jsonb) returns bigint
    language sql immutable as $$
    select case when state in ('QUEUED', 'RUNNING') then coalesce((limits ->> 'cpuMillis')::bigint, 0) else 0 end
$$;

create function workload_usage_month(created_at timestamptz) returns date
    language sql immutable as $$
    select date_trunc('month', created_at at time zone 'UTC')::date
$$;

create function tenant_usage_on_tenant() returns trigger language plpgsql as $$
begin
    insert into tenant_usage (tenant_id, part) values (new.id, 0) on conflict do nothing;
    return null;
end
$$;

create trigger tenant_usage_row after insert on tenant
    for each row execute function tenant_usage_on_tenant();

-- One function for insert, update and delete: subtract what the old row counted, add the new.
create function tenant_usage_on_workload() returns trigger language plpgsql as $$
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
    if d_cpu <> 0 or d_wall <> 0 or d_count <> 0 or d_bytes <> 0 then
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

create trigger workload_usage_insert after insert on workload
    for each row execute function tenant_usage_on_workload();
create trigger workload_usage_delete after delete on workload
    for each row execute function tenant_usage_on_workload();
-- not on lease renewals and the like: only when something counted changes
create trigger workload_usage_update after update on workload
    for each row
    when (old.state is distinct from new.state or old.cpu_millis is distinct from new.cpu_millis
          or old.wall_millis is distinct from new.wall_millis or old.input_bytes <> new.input_bytes
          or old.log_bytes <> new.log_bytes or old.artifact_bytes <> new.artifact_bytes
          or old.limits is distinct from new.limits)
    execute function tenant_usage_on_workload();

-- the totals of what is already there
insert into tenant_usage (tenant_id, part, queued, running, reserved_cpu_millis, stored_bytes)
select t.id, 0,
       count(w.id) filter (where w.state = 'QUEUED'),
       count(w.id) filter (where w.state = 'RUNNING'),
       coalesce(sum(workload_cpu_reserved(w.state, w.limits)), 0),
       coalesce(sum(w.input_bytes + w.log_bytes + w.artifact_bytes), 0)
from tenant t left join workload w on w.tenant_id = t.id
group by t.id;

insert into tenant_usage_month (tenant_id, month, part, cpu_millis, wall_millis, workloads, bytes)
select tenant_id, workload_usage_month(created_at), 0, coalesce(sum(cpu_millis), 0), coalesce(sum(wall_millis), 0),
       count(*), sum(input_bytes + log_bytes + artifact_bytes)
from workload
group by tenant_id, workload_usage_month(created_at);

-- A run retried after its worker was lost waits a while first (longer at each attempt), so a
-- workload that kills its node is not handed straight to the next one.
alter table workload add column not_before timestamptz;
comment on column workload.not_before is 'A queued workload is not claimed before this time (set when a lost run is retried); null: at once.';
