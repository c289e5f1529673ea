-- When things go wrong: the resume reset written down as data, the storage of
-- the swarm's change feed, and the indexes of the sweeps.
--
-- Function bodies live in sql/70_failure_and_resume.sql (applied after every
-- migration run), together with the trigger that keeps task.status_xid.
-- depends: 0002_roles_and_derived_rules

-- ---------------------------------------------------------------------------
-- A resume resets every task that is not D (and, in a cold resume, R too) to
-- G with num_attempts = 0. Like every other move, that is a row of
-- jobmon.task_transition, of kind 'resume': jobmon.reset_tasks_for_resume()
-- moves a task only along these rows. The derived lookup
-- jobmon.task_instance_move walks the 'cascade' rows only, so these rows
-- change nothing a task-instance move can do.
-- ---------------------------------------------------------------------------

insert into jobmon.task_transition (from_status, to_status, kind, reason) values
    ('Q', 'G', 'resume', 'a resume resets a queued task: its task instance was told to die'),
    ('I', 'G', 'resume', 'a resume resets an instantiating task: its task instance was told to die'),
    ('O', 'G', 'resume', 'a resume resets a launched task: its task instance was told to die'),
    ('R', 'G', 'resume', 'a cold resume resets a running task: its task instance was told to die'),
    ('E', 'G', 'resume', 'a resume resets a task waiting for its retry decision'),
    ('A', 'G', 'resume', 'a resume resets a task whose resources were being adjusted'),
    ('F', 'G', 'resume', 'a resume gives a failed task a new set of attempts');

-- ---------------------------------------------------------------------------
-- The change feed (jobmon.task_status_changes): the id of the transaction
-- that last changed a task's status. A trigger (sql/70) writes it on every
-- status change; new tasks get their inserting transaction's id. The feed
-- returns only changes of transactions older than its snapshot's xmin (all
-- of which have ended, so every committed one is visible), and that xmin is
-- the next cursor: a transaction that was still running at one sync has an
-- id at or above that sync's cursor, so the next sync returns its change.
-- Tasks that exist before this migration get 0 (returned for cursor 0).
-- ---------------------------------------------------------------------------

alter table jobmon.task add column status_xid xid8 not null default '0';
alter table jobmon.task alter column status_xid set default pg_catalog.pg_current_xact_id();
comment on column jobmon.task.status_xid is
    'The transaction (pg_current_xact_id()) that last changed status, or inserted the task. Written by a trigger; read by jobmon.task_status_changes().';
create index ix_task_workflow_id_status_xid on jobmon.task (workflow_id, status_xid);

-- ---------------------------------------------------------------------------
-- The live task instances of a workflow run, by status and deadline: the
-- triage sweep (R and O past report_by_date) and terminate_workflow_run read
-- them. Finished instances (D, E, F, U, W, Z), the bulk of a large run, are
-- not in it.
-- ---------------------------------------------------------------------------

create index ix_task_instance_live_by_run on jobmon.task_instance (workflow_run_id, status, report_by_date)
    where status in ('Q', 'I', 'O', 'R', 'T', 'X', 'K');
