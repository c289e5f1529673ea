-- Roles that make the rules binding, status columns guarded without shared
-- row locks, the transition rules precomputed into one lookup, and what a
-- task needs to know which of its task instances are stale attempts.
--
-- Function bodies live in sql/ (applied after every migration run):
-- jobmon._secure_schema() gives the schema to the owner role and applies the
-- grants; jobmon._refresh_derived_rules() keeps the status checks and
-- jobmon.task_instance_move equal to the lookup tables.
-- depends: 0001_schema

-- ---------------------------------------------------------------------------
-- Roles. Names are cluster-wide, so they are created only when missing, and
-- a deployment that needs other names sets jobmon.role_prefix before the
-- first migrate (jobmon-db migrate --role-prefix acme_jobmon). The names a
-- database uses are recorded in jobmon.deployment_role.
-- ---------------------------------------------------------------------------

create table jobmon.deployment_role (
    actor     text primary key
              check (actor in ('owner', 'app', 'readonly', 'worker_node', 'distributor', 'swarm')),
    role_name name not null unique
);
comment on table jobmon.deployment_role is
    'The NOLOGIN group roles of this database, by actor: owner (owns the schema; the functions run with its rights), app (every public function, inserts parent rows, reads everything), readonly, and one role per actor that calls only its own functions. A deployment grants them to its login roles.';

do $$
declare
    prefix text := coalesce(nullif(current_setting('jobmon.role_prefix', true), ''), 'jobmon');
    actor  text;
    role   name;
begin
    if prefix !~ '^[a-z_][a-z0-9_]{0,40}$' then
        raise exception 'jobmon.role_prefix must be a lower-case SQL identifier of at most 41 characters, not %',
            quote_literal(prefix)
            using errcode = '22023';
    end if;
    foreach actor in array array['owner', 'app', 'readonly', 'worker_node', 'distributor', 'swarm'] loop
        role := prefix || '_' || actor;
        insert into jobmon.deployment_role (actor, role_name) values (actor, role);
        if not exists (select 1 from pg_catalog.pg_roles r where r.rolname = role) then
            begin
                execute format('create role %I nologin', role);
            exception when duplicate_object or unique_violation then
                null;  -- created meanwhile by a migrate of another database on this server
            end;
        end if;
    end loop;
    -- A migrating role that is not a superuser must be a member of the owner
    -- role to give it the schema (ALTER ... OWNER TO).
    role := prefix || '_owner';
    if not (select r.rolsuper from pg_catalog.pg_roles r where r.rolname = current_user)
       and not pg_catalog.pg_has_role(current_user, role, 'member') then
        execute format('grant %I to %I', role, current_user);
    end if;
end;
$$;

-- ---------------------------------------------------------------------------
-- Status columns: a CHECK listing the codes of the lookup table instead of a
-- foreign key. A foreign key locks the referenced status row (FOR KEY SHARE)
-- on every status change: 13 hot rows shared by every transaction, and a
-- MultiXact for each when several clients move task instances at once. The
-- checks are generated from the lookup tables by
-- jobmon._refresh_derived_rules(), which also runs whenever those tables
-- change, so the lookup tables stay the one place the codes are written.
-- ---------------------------------------------------------------------------

alter table jobmon.task_instance drop constraint task_instance_status_fkey;
alter table jobmon.task drop constraint task_status_fkey;

-- ---------------------------------------------------------------------------
-- Task moves come in kinds: 'cascade' (asked for by a task instance's move)
-- and, later, moves made by other operations (for example a resume).
-- ---------------------------------------------------------------------------

alter table jobmon.task_transition
    add column kind text not null default 'cascade',
    drop constraint task_transition_pkey,
    add primary key (from_status, to_status, kind);
alter table jobmon.task_transition alter column kind drop default;
comment on column jobmon.task_transition.kind is
    '''cascade'': a move asked for by a task-instance transition. Other kinds are moves of the operations named by them.';

-- ---------------------------------------------------------------------------
-- The rules precomputed: one row per (task-instance move, task status, attempts
-- left) with what the move does to the task. Derived from
-- jobmon.task_instance_transition, jobmon.task_transition and the cascade
-- (jobmon.task_moves_on_entering) by jobmon._refresh_derived_rules(); never
-- written by hand. Every function that moves a task instance reads it.
-- ---------------------------------------------------------------------------

create table jobmon.task_instance_move (
    from_status       text    not null,
    to_status         text    not null,
    task_status       text    not null,
    attempts_left     boolean not null,
    kind              text    not null check (kind in ('valid', 'untimely')),
    task_to_status    text,
    adds_attempt      boolean not null,
    task_path         text[]  not null,
    refused_task_from text,
    refused_task_to   text,
    primary key (from_status, to_status, task_status, attempts_left),
    check ((task_to_status is null) = (refused_task_from is not null))
);
comment on table jobmon.task_instance_move is
    'Derived from the rule tables (never written by hand): for a task-instance move from_status -> to_status, its kind, and, for a task in task_status with attempts left or not, the task status the cascade ends in (task_to_status) and whether it counts an attempt. A valid move whose cascade is refused has task_to_status NULL and the refused task move in refused_task_from/to. Pairs not listed are invalid.';
comment on column jobmon.task_instance_move.attempts_left is 'task.num_attempts < task.max_attempts before the move.';
comment on column jobmon.task_instance_move.task_path is
    'The task statuses the cascade moves the task through, in order (R -> E -> G: {E,G}); empty when the task does not move.';

-- ---------------------------------------------------------------------------
-- Stale attempts: a task instance whose id is below its task's
-- current_attempt_from belongs to an attempt the task has left behind (the
-- task was queued again or reset by a resume); its reports move it alone,
-- never the task.
-- ---------------------------------------------------------------------------

alter table jobmon.task add column current_attempt_from bigint not null default 0;
comment on column jobmon.task.current_attempt_from is
    'Task instances of this task with a smaller id are stale attempts: their moves never cascade to the task. Set when a new task instance is queued and when the task is reset for a resume.';

alter type jobmon.task_instance_transition_result add attribute stale boolean;
comment on type jobmon.task_instance_transition_result is
    'Result of a task-instance move: outcome is ''applied'' or ''untimely''; statuses are the codes before and after (equal when untimely); status_date is the task instance''s; stale is true when the task instance is an attempt its task has left behind, so the move did not cascade to the task.';

comment on table jobmon.task_instance is
    'One attempt to run a task. Starts in Q; only the jobmon functions create and move task instances.';
