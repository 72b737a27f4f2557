-- DNS-01 for custom domains: the tenant publishes the challenge's TXT record itself (the platform
-- cannot edit its DNS), so an order waits, across runs of the certificates' task, for the record
-- to appear. The order's and challenge's URLs are kept so that a later run binds them again.
alter table custom_domain
    add column challenge           varchar(8)    not null default 'http-01',
    add column dns_record_name     varchar(270),
    add column dns_record_value    varchar(100),
    add column acme_order_url      varchar(500),
    add column acme_challenge_url  varchar(500),
    add column dns_deadline        timestamptz,
    add column dns_check           varchar(1000),
    add column dns_checked_at      timestamptz,
    add constraint custom_domain_challenge_ck check (challenge in ('http-01', 'dns-01')),
    add constraint custom_domain_dns_ck check ((dns_record_value is null) = (acme_order_url is null));

alter table custom_domain drop constraint custom_domain_state_ck,
    add constraint custom_domain_state_ck check (state in ('PENDING', 'AWAITING_DNS', 'ISSUED', 'FAILED'));

comment on column custom_domain.challenge is 'How control of the name is proved: http-01 (answered by the ingress) or dns-01 (a TXT record the tenant publishes).';
comment on column custom_domain.dns_record_value is 'The TXT value the tenant must publish at dns_record_name for the DNS-01 order under way (null: none under way).';
comment on column custom_domain.dns_deadline is 'When the DNS-01 order under way fails if the record has not appeared (palisade.domains.dns-wait).';
comment on column custom_domain.dns_check is 'What the last look-up of the TXT record found, for the tenant (bounded; the values are the tenant''s DNS, untrusted).';
