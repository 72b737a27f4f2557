-- Palisade schema, version 56.2: TOTP secrets sealed at rest like tenant secrets (AES-256-GCM
-- under the secret keys), no longer kept plain. The key lives outside the database, so SQL cannot
-- seal the existing rows: they keep a null key_id until the application seals them, at its next
-- start or at the row's first use, whichever comes first.

alter table user_second_factor add column key_id varchar(16);
comment on column user_second_factor.secret is 'The TOTP secret, sealed (nonce, ciphertext, tag) with the secret key key_id and the row''s user id as associated data; plain only while key_id is null (rows from before 56.2, until the application seals them).';
