-- Palisade schema, version 50.1: per-tenant volumes (issue 21). A volume is an ext4 image file
-- on one node's disk (its home), mounted into the workloads that name it.

create table volume (
    id          uuid         not null,
    tenant_id   bigint       not null,
    name        varchar(63)  not null,
    size_bytes  bigint       not null,
    home        varchar(64),
    made        boolean      not null default false,
    created_at  timestamptz  not null default now(),
    created_by  varchar(100) not null,
    constraint volume_pk primary key (id),
    constraint volume_tenant_fk foreign key (tenant_id) references tenant (id) on delete cascade,
    constraint volume_name_uk unique (tenant_id, name),
    constraint volume_name_ck check (name ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
    constraint volume_size_ck check (size_bytes > 0)
);
comment on table volume is 'A tenant''s named volume: size_bytes preallocated on the disk of the node whose volume home is home (null until a node takes it); made once its image file exists there.';
comment on column volume.home is 'The volume home (a stable id of one node''s data directory, node.volume_home) holding the image; workloads that mount the volume run only on a node with this home.';

create table workload_volume (
    workload_id  uuid         not null,
    volume_name  varchar(63)  not null,
    mount_path   varchar(200) not null,
    read_only    boolean      not null,
    constraint workload_volume_workload_fk foreign key (workload_id) references workload (id) on delete cascade,
    constraint workload_volume_uk unique (workload_id, mount_path)
);
create index workload_volume_name_ix on workload_volume (volume_name);
comment on table workload_volume is 'The volumes a workload mounts, by name (of its tenant''s volumes): at mount_path in its sandbox, read-only or not. Resolved when its sandbox starts: a volume deleted since fails the start, it is never left out.';

alter table node add column volume_home varchar(64);
comment on column node.volume_home is 'The volume home of the node''s data directory: volumes whose home this is live on its disk.';

-- a volume's size counts as stored by its tenant from its creation (its image is preallocated):
-- the images' trigger function does it, as it reads only tenant_id and size_bytes
create trigger volume_usage after insert or delete on volume
    for each row execute function tenant_usage_on_image();
