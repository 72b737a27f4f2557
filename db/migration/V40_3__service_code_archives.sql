-- Palisade schema, version 40.3: services deployed from a code archive, and their history
-- (issue 20). The archive itself is the workload's input (workload_file kind 'input'), counted
-- against storage as a job's input is; a service's is unpacked read-only at /app.

alter table service_deployment add column archive_digest varchar(71);
alter table service_deployment add column deployed_by varchar(100);
comment on column service_deployment.archive_digest is 'sha256 of the code archive unpacked read-only at /app, or null when the deployment has none.';
comment on column service_deployment.deployed_by is 'Who made this deployment (a deploy, a start, a roll back, or a restart for a changed secret).';
