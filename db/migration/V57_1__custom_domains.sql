-- Custom domains: a tenant's own host name (www.example.com) on one of its services, with a
-- certificate the platform orders from an ACME directory (HTTP-01, answered by the ingress) and
-- renews. A host belongs to one tenant at most (the primary key); the certificate's private key
-- is sealed with the secrets' key (AES-256-GCM, the host bound in as associated data).
create table custom_domain (
    host                varchar(253)  not null,
    tenant_id           bigint        not null,
    service_name        varchar(40)   not null,
    hsts                boolean       not null default false,
    state               varchar(16)   not null default 'PENDING',
    challenge_token     varchar(200),
    challenge_response  varchar(400),
    certificate_pem     text,
    key_id              varchar(32),
    sealed_key          bytea,
    not_before          timestamptz,
    not_after           timestamptz,
    renew_at            timestamptz,
    next_attempt_at     timestamptz   not null default now(),
    failures            integer       not null default 0,
    last_error          varchar(1000),
    created_at          timestamptz   not null default now(),
    created_by          varchar(200)  not null,
    updated_at          timestamptz   not null default now(),
    constraint custom_domain_pk primary key (host),
    constraint custom_domain_tenant_fk foreign key (tenant_id) references tenant (id) on delete cascade,
    constraint custom_domain_state_ck check (state in ('PENDING', 'ISSUED', 'FAILED')),
    constraint custom_domain_service_ck check (service_name ~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$'),
    constraint custom_domain_key_ck check ((sealed_key is null) = (key_id is null))
);
comment on table custom_domain is 'A tenant''s host name on one of its services, and the certificate the platform obtained for it by ACME (its key sealed).';
comment on column custom_domain.challenge_token is 'The HTTP-01 token of the order under way; the ingress answers /.well-known/acme-challenge/<token> with challenge_response.';
comment on column custom_domain.renew_at is 'When the certificate is renewed (before not_after by palisade.domains.renew-before).';

create index custom_domain_tenant_ix on custom_domain (tenant_id, service_name);
create index custom_domain_due_ix on custom_domain (next_attempt_at);

-- The platform's ACME account per directory: only its key pair is kept (sealed); the account is
-- found again from the key.
create table acme_account (
    directory   varchar(500)  not null,
    key_id      varchar(32)   not null,
    sealed_key  bytea         not null,
    created_at  timestamptz   not null default now(),
    constraint acme_account_pk primary key (directory)
);
comment on table acme_account is 'The key pair of the platform''s account at an ACME directory, sealed with the secrets'' key.';
