-- Indexes for the console's lists across tenants (newest first, optionally by state) and the
-- portal's list of one tenant filtered by state. Lists are paginated; these keep a page an index
-- range scan however many workloads there are.
create index workload_created_ix on workload (created_at desc);
create index workload_state_created_ix on workload (state, created_at desc);
create index workload_tenant_state_created_ix on workload (tenant_id, state, created_at desc);
