-- Palisade schema, version 43.3: passwords a user changes, and one-time passwords an admin sets.

alter table app_user add column must_change_password boolean not null default false;
alter table app_user add column password_changed_at timestamptz;
comment on column app_user.must_change_password is 'Set when an admin reset the password to a one-time password: until the user chooses a new one, the console shows only the password page and the API refuses everything but POST /api/v1/account/password.';
comment on column app_user.password_changed_at is 'When the password was last changed by its user or reset by an admin; null: as created.';
