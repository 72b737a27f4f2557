-- A service runs instances replicas of its program (issue 22). Each instance is a workload of its
-- own, so that the dispatcher claims it (on whichever node) with its own lease, log and restarts;
-- instance 0 is the deployment itself, the others are rows here that name it as their primary.

alter table service_deployment
    add column instances smallint not null default 1,
    add column primary_id uuid,
    add column ordinal smallint not null default 0,
    add constraint service_deployment_instances_ck check (instances between 1 and 100),
    add constraint service_deployment_primary_fk foreign key (primary_id) references service_deployment (workload_id)
        on delete cascade,
    add constraint service_deployment_ordinal_ck check ((primary_id is null) = (ordinal = 0));

create unique index service_deployment_instance_uk on service_deployment (primary_id, ordinal) where primary_id is not null;

comment on column service_deployment.instances is 'How many instances the deployment runs, each a workload the dispatcher places; requests go to the healthy one with the fewest in flight.';
comment on column service_deployment.primary_id is 'Null for a deployment (its instance 0); else the deployment this row is instance ordinal of. The API lists deployments only.';
