-- The console's audit log and the admin dashboard's latest changes list every tenant's events
-- newest first: an index range scan instead of sorting the whole (ever growing) trail.
create index audit_event_time_ix on audit_event (occurred_at desc);
