-- Palisade schema, version 22: the dashboards' chart of the last days (workloads created and CPU
-- used per UTC day) read from a small rollup kept exact by triggers, instead of aggregating every
-- workload of the week on each page view: the read is then 7 rows per tenant, however many run.

create table workload_daily (
    tenant_id   bigint  not null,
    day         date    not null,
    workloads   bigint  not null default 0,
    cpu_millis  bigint  not null default 0,
    constraint workload_daily_pk primary key (tenant_id, day),
    constraint workload_daily_tenant_fk foreign key (tenant_id) references tenant (id) on delete cascade
);
create index workload_daily_day_ix on workload_daily (day);
comment on table workload_daily is 'Per tenant and UTC day of created_at: how many workloads exist and the sum of their cpu_millis. Kept by the workload_daily_* triggers; equal to aggregating the workload table.';

insert into workload_daily (tenant_id, day, workloads, cpu_millis)
select tenant_id, (created_at at time zone 'UTC')::date, count(*), coalesce(sum(cpu_millis), 0)
from workload group by 1, 2;

create function workload_daily_insert() returns trigger language plpgsql as $$
begin
    insert into workload_daily (tenant_id, day, workloads, cpu_millis)
    values (new.tenant_id, (new.created_at at time zone 'UTC')::date, 1, coalesce(new.cpu_millis, 0))
    on conflict (tenant_id, day) do update
        set workloads = workload_daily.workloads + 1, cpu_millis = workload_daily.cpu_millis + excluded.cpu_millis;
    return null;
end $$;

-- an update only moves the CPU figure (created_at and tenant_id never change once inserted)
create function workload_daily_update() returns trigger language plpgsql as $$
begin
    update workload_daily set cpu_millis = cpu_millis - coalesce(old.cpu_millis, 0) + coalesce(new.cpu_millis, 0)
    where tenant_id = new.tenant_id and day = (new.created_at at time zone 'UTC')::date;
    return null;
end $$;

-- no insert here: when a tenant is deleted its rollup rows go with it (cascade) before or after
-- its workloads, and nothing may be re-created for it
create function workload_daily_delete() returns trigger language plpgsql as $$
begin
    update workload_daily set workloads = workloads - 1, cpu_millis = cpu_millis - coalesce(old.cpu_millis, 0)
    where tenant_id = old.tenant_id and day = (old.created_at at time zone 'UTC')::date;
    return null;
end $$;

create trigger workload_daily_insert_tg after insert on workload
    for each row execute function workload_daily_insert();
create trigger workload_daily_update_tg after update of cpu_millis on workload
    for each row when (old.cpu_millis is distinct from new.cpu_millis) execute function workload_daily_update();
create trigger workload_daily_delete_tg after delete on workload
    for each row execute function workload_daily_delete();
