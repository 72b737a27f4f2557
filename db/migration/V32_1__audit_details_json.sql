-- Palisade schema, version 32.1: audit details as structured JSON (issue 16). A name a tenant
-- chose was concatenated into a line of text, so a CR/LF in it could forge what looked like
-- further entries; a JSON object keeps every value inside its own string. Earlier rows keep their
-- text as {"text": "..."}.

alter table audit_event alter column details type jsonb
    using case when details is null then null else jsonb_build_object('text', details) end;
comment on column audit_event.details is 'What the action was about, as a JSON object of named values (never a password or a token).';
