-- Palisade schema, version 54.2: user names unique per tenant, not across tenants.
-- A name taken in one tenant no longer stops another tenant from using it (which told tenant A
-- which names exist in tenant B). Platform admins (no tenant) are a scope of their own. Existing
-- names were unique across all tenants, so they are unique per tenant too: no row changes.

alter table app_user drop constraint app_user_username_uk;
create unique index app_user_tenant_username_uk on app_user (tenant_id, username) where tenant_id is not null;
create unique index app_user_platform_username_uk on app_user (username) where tenant_id is null;
comment on column app_user.username is 'Unique within its tenant (or among platform admins). A tenant user logs in as name@tenant-slug; a plain name is a platform admin''s, or the one tenant user of that name if there is exactly one.';
