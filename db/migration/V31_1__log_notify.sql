-- Live log followers on every instance are told when a log grows or a workload changes state,
-- whichever instance wrote it: one NOTIFY on the channel workload_log carrying the workload id.
-- The rows stay the source of truth; a follower reads them after the notice.
create function workload_log_notify() returns trigger
    language plpgsql as
$$
begin
    perform pg_notify('workload_log', new.workload_id::text);
    return null;
end
$$;

create trigger workload_log_notify_tr
    after insert on workload_log
    for each row execute function workload_log_notify();

create function workload_state_notify() returns trigger
    language plpgsql as
$$
begin
    perform pg_notify('workload_log', new.id::text);
    return null;
end
$$;

create trigger workload_state_notify_tr
    after update of state on workload
    for each row when (old.state is distinct from new.state)
    execute function workload_state_notify();

comment on function workload_log_notify() is 'tells log followers (LISTEN workload_log) that a log has a new chunk';
comment on function workload_state_notify() is 'tells log followers (LISTEN workload_log) that a workload changed state';
