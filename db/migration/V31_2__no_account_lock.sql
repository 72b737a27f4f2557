-- Failed logins no longer lock an account (anyone could lock anyone out by guessing); they slow
-- down the address that failed, in the application's memory (palisade.security.login.*).
alter table app_user drop column failed_logins;
alter table app_user drop column locked_until;
