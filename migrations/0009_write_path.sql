-- The write path at its physical cost: the history switch as a row the moves
-- read (not trigger DDL), heartbeats that are HOT updates, and only the
-- indexes a query reads (docs/performance.md lists each index and its reader).
-- depends: 0005_failure_and_resume 0006_transition_history

-- ---------------------------------------------------------------------------
-- The history switch: one row, read by every move (sql/20, sql/25, sql/60,
-- sql/70) and written by jobmon.set_history(). A plain read never waits for
-- the switch's row lock, so turning the history off or on never blocks a move.
-- A database whose history triggers were disabled keeps its history off.
-- ---------------------------------------------------------------------------
create table jobmon.history_setting (
    singleton boolean primary key default true check (singleton),
    enabled   boolean not null
);
insert into jobmon.history_setting (enabled)
select not exists (select 1 from pg_catalog.pg_trigger g
                    where g.tgrelid in ('jobmon.task_instance'::regclass, 'jobmon.task'::regclass)
                      and g.tgname like 'record_history%' and g.tgenabled = 'D');
comment on table jobmon.history_setting is
    'One row: whether the moves record the transition history (jobmon.transition_history). Written by jobmon.set_history().';
comment on column jobmon.history_setting.enabled is 'true: every move writes its history rows with it, in its transaction.';

-- ---------------------------------------------------------------------------
-- Heartbeats write report_by_date only. With report_by_date in no index and
-- room left on each page, such an UPDATE is HOT: no index entry is written.
-- The triage sweep reads the deadline from the rows of a run's live
-- instances, which the partial index finds. Two thirds of each page are kept
-- free: a batch heartbeat of every instance on a page fits on it even while
-- the previous heartbeat's versions are not pruned yet (a prune needs them
-- older than every snapshot, and the page pinned by no other process).
-- ---------------------------------------------------------------------------
drop index jobmon.ix_task_instance_live_by_run;
create index ix_task_instance_live_by_run on jobmon.task_instance (workflow_run_id, status)
    where status in ('Q', 'I', 'O', 'R', 'T', 'X', 'K');
alter table jobmon.task_instance set (fillfactor = 33);

-- ---------------------------------------------------------------------------
-- An index no query reads: every insert and non-HOT update paid for it.
-- ---------------------------------------------------------------------------
drop index jobmon.ix_task_instance_distributor_id;
-- The history no longer looks up the task instance behind a task move.
drop index jobmon.ix_task_instance_move_effect;

-- ---------------------------------------------------------------------------
-- The history is written by the moves, no longer by triggers.
-- ---------------------------------------------------------------------------
comment on table jobmon.transition_history is
    'One row per applied move of a task instance (from_status NULL: created) and of a task, in the order of id (status dates can go backwards across transactions; id cannot). Written by the moves themselves (the jobmon functions), in the same transaction; a direct write by the owner is not recorded. Turned off and on per database with jobmon.set_history(). Read with jobmon.task_instance_history().';
comment on column jobmon.transition_history.task_instance_id is
    'For a task instance: itself. For a task: the task instance whose move cascaded to it; NULL for a move no task instance caused (a queueing, a resume reset).';
comment on column jobmon.transition_history.function_name is
    'The public jobmon function the caller called to make the move, passed by that function to the move (no session setting is read).';
