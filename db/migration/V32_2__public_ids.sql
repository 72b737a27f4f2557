-- Palisade schema, version 32.2: users and tokens are named in the API by a random public id
-- (issue 16). The sequential keys stay the internal ones (foreign keys, sessions), but handed
-- out they told anyone how many users and tokens the platform has and let one guess the next.

alter table app_user add column public_id uuid not null default gen_random_uuid();
alter table app_user add constraint app_user_public_id_uk unique (public_id);
comment on column app_user.public_id is 'The id the API shows and takes; id stays the internal key.';

alter table api_token add column public_id uuid not null default gen_random_uuid();
alter table api_token add constraint api_token_public_id_uk unique (public_id);
comment on column api_token.public_id is 'The id the API shows and takes; id stays the internal key.';
