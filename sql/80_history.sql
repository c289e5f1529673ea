-- The transition history (table jobmon.transition_history, migration 0006):
-- the triggers that write it, the function that reads it, and the switch
-- that turns it off and on per database. Applied repeatably by the
-- post-apply step.
--
-- Why triggers: every function that moves a task instance or a task, written
-- now or later, gets its history without knowing about it, in the same
-- transaction as the move. Row triggers with UPDATE OF status and a WHEN
-- clause: not even called unless the status changed, and one INSERT per
-- moved row. Statement triggers with transition tables were measured too:
-- one INSERT per statement is cheaper for a 500-row batch, but PostgreSQL 15
-- makes every further statement of a transaction that used them slower (a
-- transaction of 2,000 single-row moves went from 375 to 480 us per move),
-- which no client making many moves in one transaction should pay.
--
-- Which function made the move: the function the caller called. Every public
-- function declares its name in its SET clause: the route functions (all but
-- transition_task_instance) as jobmon.route, transition_task_instance as
-- jobmon.function. A route may call transition_task_instance inside it; the
-- history prefers jobmon.route, so the move is credited to the route.
-- Reading the call stack instead (GET DIAGNOSTICS ... PG_CONTEXT) needs no convention but formats every SQL
-- statement on the stack: it cost about 120 us per transition, the setting
-- about 1 us. NULL when no function declared it (a direct UPDATE).

-- ---------------------------------------------------------------------------
-- jobmon._history_function() returns text
--
-- Internal. The function a move is credited to: jobmon.route, else
-- jobmon.function (see above); NULL for a direct UPDATE. Reads two settings.
-- ---------------------------------------------------------------------------
create or replace function jobmon._history_function()
returns text
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
    return coalesce(nullif(current_setting('jobmon.route', true), ''),
                    nullif(current_setting('jobmon.function', true), ''));
end;
$$;
comment on function jobmon._history_function() is
    'Internal. The public function a move is credited to in the history: the setting jobmon.route, else jobmon.function.';

-- ---------------------------------------------------------------------------
-- jobmon._record_task_instance_history() returns trigger
--
-- AFTER INSERT and AFTER UPDATE OF status (when it changed) FOR EACH ROW on
-- jobmon.task_instance: one history row per task instance created
-- (from_status NULL) or moved. Runs as the role that
-- wrote the rows (the owner, inside the jobmon functions). Locks nothing;
-- raises nothing of its own.
-- ---------------------------------------------------------------------------
create or replace function jobmon._record_task_instance_history()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
    insert into jobmon.transition_history
        (model, object_id, task_id, task_instance_id, from_status, to_status, function_name)
    values ('TaskInstance', new.id, new.task_id, new.id, case when tg_op = 'UPDATE' then old.status end, new.status,
            jobmon._history_function());
    return null;
end;
$$;
comment on function jobmon._record_task_instance_history() is
    'Internal. Row trigger on jobmon.task_instance: writes one jobmon.transition_history row per task instance created or moved.';

-- ---------------------------------------------------------------------------
-- jobmon._record_task_history() returns trigger
--
-- AFTER UPDATE OF status (when it changed) FOR EACH ROW on jobmon.task: one
-- history row per task move (a cascade through E, such as R -> E -> G in one
-- UPDATE, gives one row per step: the task_path of the rule), with the task
-- instance that caused it: the task's newest task instance (stale attempts
-- never move their task), when the rules (jobmon.task_instance_move) say that
-- a task instance entering its current status moves a task from the old
-- status to the new one.
-- Otherwise NULL: a move no task instance caused, such as a resume reset or
-- a queueing. AFTER triggers run when the statement has finished, so the
-- task instance has its new status also when one statement moved both.
-- Reads the task's task instances and the rules; locks nothing.
-- ---------------------------------------------------------------------------
create or replace function jobmon._record_task_history()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
    insert into jobmon.transition_history
        (model, object_id, task_id, task_instance_id, from_status, to_status, function_name)
    select 'Task', new.id, new.id, c.id, s.from_status, s.to_status, jobmon._history_function()
      from (select 1) one
      left join lateral (
          select newest.id, m.task_path
            from (select ti.id, ti.status from jobmon.task_instance ti
                   where ti.task_id = new.id order by ti.id desc limit 1) newest
            join jobmon.task_instance_move m
              on m.to_status = newest.status and m.task_status = old.status and m.task_to_status = new.status
             and m.attempts_left = jobmon._attempts_left(old.num_attempts, old.max_attempts) and m.kind = 'valid'
           limit 1) c on true
     cross join lateral unnest(
           case when c.id is null then array[old.status] else array[old.status] || c.task_path[1:cardinality(c.task_path) - 1] end,
           case when c.id is null then array[new.status] else c.task_path end)
           with ordinality s(from_status, to_status, step)
     order by s.step;
    return null;
end;
$$;
comment on function jobmon._record_task_history() is
    'Internal. Row trigger on jobmon.task: writes one jobmon.transition_history row per task move, with the task instance that caused it (NULL when none did).';

-- The triggers, made again when this file changes; a database whose history
-- was turned off (jobmon.set_history(false)) keeps it off.
do $$
declare
    was_off boolean := exists (
        select 1 from pg_catalog.pg_trigger g
         where g.tgrelid in ('jobmon.task_instance'::regclass, 'jobmon.task'::regclass)
           and g.tgname like 'record_history%' and g.tgenabled = 'D');
begin
    drop trigger if exists record_history_insert on jobmon.task_instance;
    drop trigger if exists record_history_update on jobmon.task_instance;
    drop trigger if exists record_history on jobmon.task;
    create trigger record_history_insert after insert on jobmon.task_instance
        for each row execute function jobmon._record_task_instance_history();
    create trigger record_history_update after update of status on jobmon.task_instance
        for each row when (old.status is distinct from new.status)
        execute function jobmon._record_task_instance_history();
    create trigger record_history after update of status on jobmon.task
        for each row when (old.status is distinct from new.status)
        execute function jobmon._record_task_history();
    if was_off then
        alter table jobmon.task_instance disable trigger record_history_insert, disable trigger record_history_update;
        alter table jobmon.task disable trigger record_history;
    end if;
end;
$$;

-- ---------------------------------------------------------------------------
-- jobmon.set_history(enabled boolean) returns boolean
--
-- Turns the transition history of this database on or off (the history
-- triggers: ALTER TABLE ... ENABLE / DISABLE TRIGGER) and returns the new
-- state. Off, a move costs nothing extra and writes no history; rows written
-- before stay. Owner only (no grants): run by `jobmon-db history --disable`.
-- Locks: jobmon.task_instance and jobmon.task in SHARE ROW EXCLUSIVE mode for
-- the rest of the transaction (waits for the moves in progress, blocks new
-- ones until commit). Raises 22004 for NULL.
-- ---------------------------------------------------------------------------
create or replace function jobmon.set_history(enabled boolean)
returns boolean
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    how text := case when enabled then 'enable' else 'disable' end;
begin
    if enabled is null then
        raise exception 'enabled must not be NULL'
            using errcode = '22004', hint = 'Pass true to record the history, false to stop recording it.';
    end if;
    execute format('alter table jobmon.task %s trigger record_history', how);
    execute format('alter table jobmon.task_instance %1$s trigger record_history_insert, %1$s trigger record_history_update',
                   how);
    return enabled;
end;
$$;
comment on function jobmon.set_history(boolean) is
    'Turns the transition history of this database on (true) or off (false) and returns the new state. Owner only. Locks jobmon.task and jobmon.task_instance (SHARE ROW EXCLUSIVE) until commit.';

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
set jobmon.route = 'task_instance_history'
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
