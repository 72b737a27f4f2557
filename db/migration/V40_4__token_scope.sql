-- Palisade schema, version 40.4: tokens limited to deploying (issue 20), for CI pipelines.

alter table api_token add column scope varchar(16) not null default 'FULL';
alter table api_token add constraint api_token_scope_ck check (scope in ('FULL', 'DEPLOY'));
comment on column api_token.scope is 'FULL: whatever its owner may do. DEPLOY: only services (deploy, read, stop, start, roll back) and images (list, upload, delete) and reading workloads and their logs; never members, quotas, tokens or anything else.';
