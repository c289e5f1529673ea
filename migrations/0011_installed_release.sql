-- What `jobmon-db migrate` installed last: the release, and a fingerprint of
-- every function as it left it, so that `jobmon-db status` can tell a
-- database that differs from its release (a function replaced or dropped by
-- hand, a derived rule out of date) from one that is as migrated.
-- depends: 0006_transition_history

create table jobmon.installed_release (
    singleton   boolean     primary key default true check (singleton),
    version     text        not null,
    migrated_at timestamptz not null default now()
);
comment on table jobmon.installed_release is
    'One row: the jobmon-db release whose `migrate` last ran on this database, written by the post-apply step.';
comment on column jobmon.installed_release.singleton is 'Always true: the table holds one row.';
comment on column jobmon.installed_release.version is 'The package version of that release (jobmon-db --version).';
comment on column jobmon.installed_release.migrated_at is 'When that migrate finished applying the sql/ files.';

create table jobmon.installed_routine (
    signature      text primary key,
    definition_md5 text not null
);
comment on table jobmon.installed_routine is
    'Every function of schema jobmon as the last migrate left it: its signature and an md5 of its definition, privileges and comment. `jobmon-db status` compares the functions with it.';
comment on column jobmon.installed_routine.signature is 'The function''s regprocedure text, e.g. jobmon.log_done(bigint, text).';
comment on column jobmon.installed_routine.definition_md5 is 'md5 of pg_get_functiondef(), the ACL and the comment.';
