-- Palisade schema, version 54.1: a second factor (TOTP, RFC 6238) and its recovery codes.

create table user_second_factor (
    user_id        bigint      not null,
    secret         bytea       not null,
    enabled_at     timestamptz,
    last_used_step bigint      not null default 0,
    created_at     timestamptz not null default now(),
    constraint user_second_factor_pk primary key (user_id),
    constraint user_second_factor_user_fk foreign key (user_id) references app_user (id) on delete cascade
);
comment on table user_second_factor is 'A user''s TOTP secret. enabled_at is null while the user is setting it up (no code confirmed yet); from then on every password login of the user asks for a code.';
comment on column user_second_factor.last_used_step is 'The 30-second step of the last code accepted: a code of that step or an earlier one is refused, so an observed code cannot be replayed within its window.';

create table user_recovery_code (
    user_id   bigint      not null,
    code_hash varchar(64) not null,
    used_at   timestamptz,
    constraint user_recovery_code_pk primary key (user_id, code_hash),
    constraint user_recovery_code_user_fk foreign key (user_id) references app_user (id) on delete cascade
);
comment on table user_recovery_code is 'One-use codes that stand in for a TOTP code (a lost phone): SHA-256 of a random 80-bit code, hex; shown to the user once.';
