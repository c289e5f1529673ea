-- The transition history (table jobmon.transition_history, migration 0006):
-- the switch that turns it off and on per database, the function that says
-- how it stands, and the function that reads the history. Applied repeatably by the post-apply step.
--
-- Who writes it: the moves themselves, in the statements that make them
-- (jobmon._transition_task_instance(), jobmon._move_task_instances(),
-- jobmon.queue_task_batch() and jobmon.reset_tasks_for_resume()), set-based,
-- credited to the public function the caller called, which each route passes
-- to the move as an argument (no session setting is read, so it cannot be
-- forged). A direct INSERT or UPDATE by the owner, around the functions, is
-- not recorded.

-- Release 0.1.0 wrote the history with these triggers. They go in the same
-- transaction as the functions that now write it, so no move goes unrecorded
-- during an upgrade (this locks the tables once, when the triggers exist).
select jobmon._ensure_trigger(t.on_table, t.trigger_name, null)
  from (values (1, 'jobmon.task'::regclass, 'record_history'::name),  -- tasks first, as every writer locks
               (2, 'jobmon.task_instance', 'record_history_insert'), (3, 'jobmon.task_instance', 'record_history_update'))
       t(n, on_table, trigger_name)
 order by t.n;


-- ---------------------------------------------------------------------------
-- jobmon.set_history(enabled boolean) returns boolean
--
-- Turns the transition history of this database on or off (the row of
-- jobmon.history_setting that every move reads) and returns the new state.
-- Off, a move writes no history; rows written before stay. Owner only (no
-- grants): run by `jobmon-db history --disable`.
-- Locks: that row only, until commit. Moves read it without a lock, so they
-- never wait for this call nor it for them; a move whose snapshot predates
-- the commit follows the old state.
-- Raises 22004 for NULL.
-- ---------------------------------------------------------------------------
create or replace function jobmon.set_history(enabled boolean)
returns boolean
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
    if enabled is null then
        raise exception 'enabled must not be NULL'
            using errcode = '22004', hint = 'Pass true to record the history, false to stop recording it.';
    end if;
    update jobmon.history_setting s set enabled = set_history.enabled;
    return enabled;
end;
$$;
comment on function jobmon.set_history(boolean) is
    'Turns the transition history of this database on (true) or off (false) and returns the new state. Owner only. Locks the row of jobmon.history_setting until commit; never waits for a move.';

-- ---------------------------------------------------------------------------
-- jobmon.history_enabled() returns boolean
--
-- Whether this database records the history: the switch every move reads
-- (jobmon.history_setting), as jobmon.set_history() last left it. Called by
-- `jobmon-db history --state`, `jobmon-db simulate` and
-- jobmon_db.history.history_enabled(). Granted to the roles that may read the
-- history (readonly, app). Reads only; locks nothing. Raises nothing.
-- ---------------------------------------------------------------------------
create or replace function jobmon.history_enabled()
returns boolean
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
    select coalesce((select s.enabled from jobmon.history_setting s), false);
$$;
comment on function jobmon.history_enabled() is
    'Whether this database records the transition history (the switch jobmon.set_history() writes and every move reads). Reads only; locks nothing.';

-- ---------------------------------------------------------------------------
-- jobmon.task_instance_history(task_instance_id bigint)
--   returns setof jobmon.transition_history
--
-- The history of a task instance: its creation and moves, and every move of
-- its task (those its own moves caused, and the others: earlier attempts,
-- queueing, resets), in history order (id). Called by `jobmon-db history`
-- and `show`, and by anyone reading the history. Reads only; locks nothing.
-- Raises 22004 for NULL, JM003 when no task instance has this id.
-- ---------------------------------------------------------------------------
create or replace function jobmon.task_instance_history(task_instance_id bigint)
returns setof jobmon.transition_history
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    ti_id   constant bigint := task_instance_history.task_instance_id;
    task    bigint;
begin
    if ti_id is null then
        raise exception 'task_instance_id must not be NULL'
            using errcode = '22004';
    end if;
    select ti.task_id into task from jobmon.task_instance ti where ti.id = ti_id;
    if not found then
        raise exception 'TaskInstance id: % not found', ti_id
            using errcode = 'JM003';
    end if;
    return query
        select h.* from jobmon.transition_history h
         where h.task_id = task and (h.model = 'Task' or h.object_id = ti_id)
         order by h.id;
end;
$$;
comment on function jobmon.task_instance_history(bigint) is
    'The history of a task instance: its creation and moves and its task''s moves, ordered by id (the order they were made). Raises JM003 when the task instance does not exist, 22004 for NULL.';
