-- The move, shared by every route: one task instance
-- (jobmon._transition_task_instance() and its public door
-- jobmon.transition_task_instance(); the result type is in
-- migrations/0001_schema.sql), many at once (jobmon._move_task_instances(),
-- for the batch, sweep and resume functions), and the internal functions
-- the routes of more than one actor share. Applied repeatably by the
-- post-apply step (create or replace).
--
-- The lock order every function follows is stated once, in the header of
-- jobmon._lock_tasks() below.
--
-- Every call-site function (one task instance: sql/30_worker_node.sql,
-- sql/40_distributor.sql) does the same four things, in one call:
--   1. check its arguments (nothing is locked or written before);
--   2. lock the task, then the task instance (jobmon._lock_task_instance);
--   3. decide from the status as locked: a repeat of the call that already
--      took effect changes nothing (outcome 'unchanged'); otherwise ask
--      jobmon.transition_task_instance() for the move (the one place the
--      rules and the cascade are applied; it re-locks the rows already held,
--      which costs nothing);
--   4. write the route's columns (and error-log row) only when that move was
--      applied, and return the state after the call.
--
-- The internal functions here run with their caller's rights and plan
-- settings (no SECURITY DEFINER, no plan_cache_mode of their own): only the
-- owner may call them, their callers are the routes, which already run as
-- the owner with generic plans, and switching again costs on every call.

-- ---------------------------------------------------------------------------
-- jobmon._lock_tasks(task_ids bigint[], skip_locked boolean default false)
--   returns bigint[]
--
-- LOCK ORDER (the rule for every jobmon function that touches more than one
-- row): tasks before task instances, the task row first, then its
-- task-instance rows; several rows of one table in ascending id order. Rows
-- are locked FOR NO KEY UPDATE, which does not block inserts of rows that
-- reference them. Every writer of a task instance locks its task first, so
-- holding a task holds its task instances.
--
-- Internal. Locks the tasks of task_ids (duplicates, NULLs and unknown ids
-- ignored) in ascending id order, FOR NO KEY UPDATE, waiting for each, or
-- with skip_locked passing over the ones another transaction holds. Returns
-- the ids it locked, ascending; NULL when it locked none. The callers decide
-- in a later statement, on a snapshot taken after the locks.
-- Called by: every set-based route, jobmon._move_task_instances().
-- Locks: those tasks until the caller's transaction ends.
-- Raises: nothing of its own (lock_timeout and deadlock errors pass through).
-- ---------------------------------------------------------------------------
create or replace function jobmon._lock_tasks(task_ids bigint[], skip_locked boolean default false)
returns bigint[]
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
    locked bigint[];
begin
    -- Two statements: SKIP LOCKED is part of the statement, not a parameter.
    if skip_locked then
        select array_agg(l.id order by l.id) into locked
          from (select t.id from jobmon.task t where t.id = any (task_ids)
                 order by t.id
                   for no key update of t skip locked) l;
    else
        select array_agg(l.id order by l.id) into locked
          from (select t.id from jobmon.task t where t.id = any (task_ids)
                 order by t.id
                   for no key update of t) l;
    end if;
    return locked;
end;
$$;
comment on function jobmon._lock_tasks(bigint[], boolean) is
    'Internal. Locks the tasks of task_ids FOR NO KEY UPDATE in ascending id order (with skip_locked, passing over those others hold) and returns the ids locked, ascending (NULL: none). The lock order of every function: tasks before task instances, ascending id.';

-- ---------------------------------------------------------------------------
-- jobmon._transition_task_instance(task_instance_id bigint, new_status text,
--     columns jsonb, function_name text)
--   returns jobmon.task_instance_transition_result
--
-- The one implementation of a single task instance's move, the way in for
-- jobmon.transition_task_instance() and every call-site function. columns
-- holds the route columns written with the move (the non-NULL keys among
-- nodename, process_group_id, distributor_id, submitted_date, report_by_date
-- and the usage columns), only when it is applied; NULL writes none.
-- function_name is the public function the caller called: the history
-- credits the move to it.
--
-- Moves a task instance to new_status and cascades the change to its task,
-- exactly as the reference model's TaskInstance.transition():
--   * an untimely pair (a late report that lost a race) changes nothing and
--     returns outcome 'untimely';
--   * a valid pair sets the task instance's status and status_date, then
--     moves the task by the rule of jobmon.task_instance_move: a move to the
--     status the task already has does nothing, entering Q counts an attempt,
--     a changed task gets a new status_date; outcome 'applied';
--   * anything else raises, and nothing changes;
--   * a stale attempt (a task instance whose task has moved on to a newer
--     attempt: queued again or reset by a resume; see
--     jobmon.task.current_attempt_from) is moved alone: its task is not
--     touched, and the result says stale = true.
-- An applied move writes its history with it when the history is on
-- (jobmon.history_setting): one INSERT after the UPDATEs, one row for the
-- task instance, then one per step of the task (its task_path), in that id
-- order. The rule row is read by key in the statement that locks the task.
--
-- Internal: only the owner may call it; it runs with its caller's rights and
-- plan settings (its callers run as the owner with generic plans).
--
-- Locks: the task row (FOR NO KEY UPDATE), then the task instance through
-- the UPDATE; both until the caller's transaction ends. Every writer of a
-- task instance locks its task first, and a task instance never changes task
-- (sql/12_row_guards.sql), so the decision, taken under the task lock, sees
-- the previous writer's result. A read made before the lock may predate the
-- transaction the lock waited for: the UPDATE re-checks the status it decided
-- on, and when it has moved on the read and the decision are made again, now
-- under the lock; a refusal is only ever reported from such a second read.
--
-- Raises:
--   22004  task_instance_id or new_status is NULL
--   22023  new_status is not a task-instance status code
--   JM003  no task instance has this id
--   JM001  invalid task-instance transition:
--          'Cannot transition TaskInstance id: 42 from Q to D'
--          (DETAIL lists the valid and untimely targets)
--   JM002  the cascade asks for an invalid task transition:
--          'Cannot transition Task id: 7 from G to D'
--   40001  the task instance changed under the task lock twice (only a
--          writer that ignores the lock order can do that); retry
--   and lock_timeout / statement_timeout errors (55P03, 57014) when the
--   caller set those and a lock is held too long.
-- ---------------------------------------------------------------------------
create or replace function jobmon._transition_task_instance(
    task_instance_id bigint, new_status text, columns jsonb, function_name text)
returns jobmon.task_instance_transition_result
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
    -- Scalar variables, not records: a record's fields cost more as parameters of a statement.
    ti_id          constant bigint := _transition_task_instance.task_instance_id;
    ti_task_id     bigint;       -- the task instance as read
    ti_status      text;
    task_before    text;         -- its task as locked, with the rule for the move
    attempts       integer;
    left_          boolean;
    stale          boolean;
    kind           text;
    task_to        text;
    adds_attempt   boolean;
    task_path      text[];
    recording      boolean;
    retried        boolean := false;
    refused        record;       -- the task move a refused cascade asks for
    moved_at       timestamptz;  -- what the applied move wrote
    task_moves     boolean;
    task_after     text;
    attempts_after integer;
begin
    loop
        select i.task_id, i.status into ti_task_id, ti_status from jobmon.task_instance i where i.id = ti_id;
        if not found then
            if ti_id is null then
                raise exception 'task_instance_id must not be NULL'
                    using errcode = '22004';
            end if;
            perform jobmon.require_task_instance_status(new_status);  -- an unknown code is reported first
            raise exception 'TaskInstance id: % not found', ti_id
                using errcode = 'JM003';
        end if;
        select t.status, t.num_attempts, jobmon._attempts_left(t.num_attempts, t.max_attempts),
               ti_id < t.current_attempt_from, m.kind, m.task_to_status, m.adds_attempt, m.task_path,
               (select s.enabled from jobmon.history_setting s)
          into task_before, attempts, left_, stale, kind, task_to, adds_attempt, task_path, recording
          from jobmon.task t
          left join jobmon.task_instance_move m
            on m.from_status = ti_status and m.to_status = new_status and m.task_status = t.status
           and m.attempts_left = jobmon._attempts_left(t.num_attempts, t.max_attempts)
         where t.id = ti_task_id
           for no key update of t;

        -- Applicable: a valid pair whose cascade the task accepts (a stale
        -- attempt moves alone, so its cascade does not matter).
        if kind = 'valid' and (task_to is not null or stale) then
            if columns is null then
                update jobmon.task_instance i
                   set status = new_status, status_date = now()
                 where i.id = ti_id and i.status = ti_status
                returning i.status_date into moved_at;
            else
                update jobmon.task_instance i
                   set status = new_status, status_date = now(),
                       nodename = coalesce(c.nodename, i.nodename),
                       process_group_id = coalesce(c.process_group_id, i.process_group_id),
                       distributor_id = coalesce(c.distributor_id, i.distributor_id),
                       submitted_date = coalesce(c.submitted_date, i.submitted_date),
                       report_by_date = coalesce(c.report_by_date, i.report_by_date),
                       usage_str = coalesce(c.usage_str, i.usage_str), wallclock = coalesce(c.wallclock, i.wallclock),
                       maxrss = coalesce(c.maxrss, i.maxrss), maxpss = coalesce(c.maxpss, i.maxpss),
                       cpu = coalesce(c.cpu, i.cpu), io = coalesce(c.io, i.io),
                       stdout = coalesce(c.stdout, i.stdout), stderr = coalesce(c.stderr, i.stderr),
                       stdout_log = coalesce(c.stdout_log, i.stdout_log),
                       stderr_log = coalesce(c.stderr_log, i.stderr_log)
                  from jsonb_populate_record(null::jobmon.task_instance, columns) c
                 where i.id = ti_id and i.status = ti_status
                returning i.status_date into moved_at;
            end if;
            if found then
                -- The task is written when it changes or counts an attempt; never for a stale attempt.
                task_moves := not stale and (task_to <> task_before or adds_attempt);
                if task_moves then
                    update jobmon.task t
                       set status = task_to, num_attempts = t.num_attempts + adds_attempt::integer, status_date = now()
                     where t.id = ti_task_id
                    returning t.status, t.num_attempts into task_after, attempts_after;
                end if;
                if recording then
                    -- One row for the instance, then one per step of its task (task_path), in id order.
                    insert into jobmon.transition_history
                           (model, object_id, task_id, task_instance_id, from_status, to_status, function_name)
                    select case when h.step = 1 then 'TaskInstance' else 'Task' end,
                           case when h.step = 1 then ti_id else ti_task_id end,
                           ti_task_id, ti_id, h.from_status, h.to_status, function_name
                      from unnest(array[ti_status] || case when task_moves and task_to <> task_before then
                                      task_before || task_path[1:cardinality(task_path) - 1] end,
                                  array[new_status] || case when task_moves and task_to <> task_before then
                                      task_path end)
                           with ordinality h(from_status, to_status, step);
                end if;
                return (ti_id, ti_task_id, 'applied', ti_status, new_status, task_before,
                        coalesce(task_after, task_before), coalesce(attempts_after, attempts),
                        moved_at, stale)::jobmon.task_instance_transition_result;
            end if;
        end if;
        -- Not applied: decide again, once, on a read made under the lock already held.
        exit when retried;
        retried := true;
    end loop;

    if kind = 'untimely' then
        return (ti_id, ti_task_id, 'untimely', ti_status, ti_status, task_before, task_before, attempts,
                (select i.status_date from jobmon.task_instance i where i.id = ti_id),
                stale)::jobmon.task_instance_transition_result;
    end if;
    if kind is null then
        perform jobmon.require_task_instance_status(new_status);
        raise exception 'Cannot transition TaskInstance id: % from % to %', ti_id, ti_status, new_status
            using errcode = 'JM001',
                  detail = jobmon.describe_task_instance_transitions_from(ti_status),
                  hint = 'Nothing was changed. Read the current status with jobmon-db show or from jobmon.task_instance before retrying.';
    end if;
    if task_to is null and not stale then  -- a valid pair whose cascade the task refuses
        select m.refused_task_from, m.refused_task_to
          into refused
          from jobmon.task_instance_move m
         where m.from_status = ti_status and m.to_status = new_status and m.task_status = task_before
           and m.attempts_left = left_;
        raise exception 'Cannot transition Task id: % from % to %', ti_task_id, refused.refused_task_from, refused.refused_task_to
            using errcode = 'JM002',
                  detail = format('Asked for by TaskInstance id: %s moving from %s to %s. Valid task transitions from %s: %s.',
                                  ti_id, ti_status, new_status, refused.refused_task_from,
                                  coalesce((select string_agg(r.to_status, ', ' order by r.to_status)
                                              from jobmon.task_transition r
                                             where r.from_status = refused.refused_task_from and r.kind = 'cascade'),
                                           'none')),
                  hint = 'Nothing was changed: the task instance keeps its status. The task was probably moved on by another run (for example reset by a workflow resume).';
    end if;
    raise exception 'TaskInstance id: % changed while its task was locked', ti_id
        using errcode = '40001',
              detail = 'A writer that does not lock the task first changed the task instance. Nothing was changed.',
              hint = 'Retry the call.';
end;
$$;
comment on function jobmon._transition_task_instance(bigint, text, jsonb, text) is
    'Internal. The move of jobmon.transition_task_instance() and of every call-site function: writes with an applied move the non-NULL route columns in columns (nodename, process_group_id, distributor_id, submitted_date, report_by_date and the usage columns) and its history, credited to function_name.';

-- ---------------------------------------------------------------------------
-- jobmon.transition_task_instance(task_instance_id bigint, new_status text)
--   returns jobmon.task_instance_transition_result
--
-- The public move: jobmon._transition_task_instance() with no route column,
-- credited to this function (see it for what it does, locks and raises).
-- ---------------------------------------------------------------------------
create or replace function jobmon.transition_task_instance(task_instance_id bigint, new_status text)
returns jobmon.task_instance_transition_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
as $$
begin
    return jobmon._transition_task_instance(task_instance_id, new_status, null, 'transition_task_instance');
end;
$$;
comment on function jobmon.transition_task_instance(bigint, text) is
    'Moves a task instance to new_status (a one-character code) and cascades to its task, under row locks (task, then task instance), by the rules in jobmon.task_instance_move. Returns one row: outcome ''applied'' or ''untimely'' (ignored race), statuses before and after, stale = true when the task instance is an attempt its task has left behind (then the task is not touched). Raises JM001 invalid transition, JM002 invalid task move in the cascade, JM003 not found, 22004 NULL argument, 22023 unknown status. See docs/sql-api.md.';

-- ---------------------------------------------------------------------------
-- jobmon._move_task_instances(task_instance_ids bigint[], new_status text,
--     from_statuses text[] default null, task_statuses text[] default null,
--     report_by_date timestamptz default null, set_submitted_date boolean default false,
--     function_name text default null)
--   returns table (task_instance_id, task_id, outcome, previous_status, status,
--                  task_previous_status, task_status, task_num_attempts, stale)
--
-- Moves every requested task instance to new_status by the rules of
-- jobmon.task_instance_move, cascading to its task exactly as
-- transition_task_instance() does (stale attempts move alone), and returns one
-- row per distinct requested id, in id order, with what is true afterwards:
--   applied    moved (and its task cascaded)
--   unchanged  already in new_status: a repeated request, nothing written
--   untimely   the pair is untimely: a late report, nothing written
--   invalid    the pair is not allowed: nothing written
--   refused    the cascade asks for a task move the rules refuse
--   skipped    the caller's guard: status not in from_statuses, or the task's
--              status not in task_statuses (NULL: no guard)
--   conflict   a newer task instance of the same task, not a stale attempt
--              either, was requested in this call too (a task moves once
--              per call), or the instance kept changing under the locks
--              (see below): nothing written
--   not_found  no such task instance (the other columns are NULL)
-- One bad row never fails the batch. NULL ids are ignored. An applied move
-- also sets report_by_date and submitted_date = now() when asked to, and,
-- when the history is on (jobmon.history_setting), writes its history in the
-- same statement: per moved instance, in id order, one row for it, then one
-- per step of its task (task_path), credited to function_name.
--
-- Locks: the tasks of the requested instances, in ascending id order
-- (FOR NO KEY UPDATE), then the instances through the UPDATE. Every function
-- that writes a task instance locks its task first, so holding the tasks
-- holds their instances: decisions are taken after the task locks, on a
-- snapshot taken after them, and the UPDATE re-checks the status it decided
-- on. A task is written only with the instance whose move cascades to it.
-- An instance whose re-check failed (a writer that ignores the lock order
-- changed it) is read and decided again, now under the locks; one that keeps
-- changing is reported 'conflict' after three tries, with nothing written.
-- Internal: called by the jobmon functions, which run as the owner.
-- Raises: nothing of its own (the callers check their arguments).
-- ---------------------------------------------------------------------------
drop function if exists jobmon._move_task_instances(bigint[], text, text[], text[], timestamptz, boolean);
create or replace function jobmon._move_task_instances(
    task_instance_ids bigint[],
    new_status text,
    from_statuses text[] default null,
    task_statuses text[] default null,
    report_by_date timestamptz default null,
    set_submitted_date boolean default false,
    function_name text default null)
returns table (task_instance_id bigint, task_id bigint, outcome text, previous_status text, status text,
               task_previous_status text, task_status text, task_num_attempts integer, stale boolean)
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
    todo    bigint[] := task_instance_ids;  -- the ids still to decide
    decided jobmon.task_instance_move_result[] := array[]::jobmon.task_instance_move_result[];
    settled jobmon.task_instance_move_result[];
    lost    bigint[];  -- decided 'applied', but the UPDATE's re-check found another status
begin
    perform jobmon._lock_tasks(array(select ti.task_id from jobmon.task_instance ti where ti.id = any (task_instance_ids)));

    for pass in 1..3 loop
        with requested as (
            select distinct r.id from unnest(todo) r(id) where r.id is not null
        ),
        locked_rows as (
            select ti.id, ti.task_id, ti.status, t.status as task_status, t.num_attempts,
                   ti.id < t.current_attempt_from as stale, m.kind, m.task_to_status, m.adds_attempt, m.task_path,
                   -- A task moves once per call: of its requested instances, only the newest that is not a
                   -- stale attempt may cascade (stale attempts never touch their task, so any number may move).
                   row_number() over (partition by ti.task_id, ti.id < t.current_attempt_from order by ti.id desc)
                       as nth_of_task
              from requested r
              join jobmon.task_instance ti on ti.id = r.id
              join jobmon.task t on t.id = ti.task_id
              left join jobmon.task_instance_move m
                on m.from_status = ti.status and m.to_status = new_status
               and m.task_status = t.status and m.attempts_left = jobmon._attempts_left(t.num_attempts, t.max_attempts)
        ),
        decisions as (
            select c.*,
                   case
                       when c.status = new_status then 'unchanged'
                       when from_statuses is not null and c.status <> all (from_statuses) then 'skipped'
                       when task_statuses is not null and c.task_status <> all (task_statuses) then 'skipped'
                       when c.kind is null then 'invalid'
                       when c.kind = 'untimely' then 'untimely'
                       when c.task_to_status is null and not c.stale then 'refused'
                       when c.nth_of_task > 1 and not c.stale then 'conflict'
                       when pass = 3 then 'conflict'  -- changed under the locks twice already: leave it
                       else 'applied'
                   end as decision
              from locked_rows c
        ),
        -- Each write returns what the next one and the history need, so no step joins two CTEs.
        moved as (
            update jobmon.task_instance ti
               set status = new_status,
                   status_date = now(),
                   report_by_date = coalesce(_move_task_instances.report_by_date, ti.report_by_date),
                   submitted_date = case when set_submitted_date then now() else ti.submitted_date end
              from decisions d
             where ti.id = d.id and d.decision = 'applied' and ti.status = d.status
            returning ti.id, d.task_id, d.status, d.stale, d.task_status, d.task_to_status, d.adds_attempt, d.task_path
        ),
        cascaded as (
            update jobmon.task t
               set status = mv.task_to_status,
                   num_attempts = t.num_attempts + mv.adds_attempt::integer,
                   status_date = now()
              from moved mv
             where t.id = mv.task_id and not mv.stale
               and (mv.task_to_status <> mv.task_status or mv.adds_attempt)
            returning t.id, t.status, t.num_attempts, mv.id as cause, mv.task_status as from_status, mv.task_path
        ),
        recorded as (
            insert into jobmon.transition_history
                   (model, object_id, task_id, task_instance_id, from_status, to_status, function_name)
            select h.model, h.object_id, h.task_id, h.cause, h.from_status, h.to_status,
                   _move_task_instances.function_name
              from (select 'TaskInstance' as model, mv.id as object_id, mv.task_id, mv.id as cause,
                           mv.status as from_status, new_status as to_status, 0::bigint as step
                      from moved mv
                    union all
                    select 'Task', c.id, c.id, c.cause, s.from_status, s.to_status, s.step
                      from cascaded c
                     cross join unnest(c.from_status || c.task_path[1:cardinality(c.task_path) - 1], c.task_path)
                           with ordinality s(from_status, to_status, step)
                     where c.status <> c.from_status) h
             where (select s.enabled from jobmon.history_setting s)
             order by h.cause, h.step
        )
        select array_agg(row(r.id, d.task_id, coalesce(d.decision, 'not_found'), d.status,
                             case when mv.id is not null then new_status else d.status end,
                             d.task_status, coalesce(c.status, d.task_status), coalesce(c.num_attempts, d.num_attempts),
                             d.stale)::jobmon.task_instance_move_result)
                   filter (where d.decision is distinct from 'applied' or mv.id is not null),
               array_agg(r.id) filter (where d.decision = 'applied' and mv.id is null)
          into settled, lost
          from requested r
          left join decisions d on d.id = r.id
          left join moved mv on mv.id = d.id
          left join cascaded c on c.id = d.task_id and mv.id is not null;

        decided := decided || settled;  -- NULL (nothing settled) appends nothing
        exit when lost is null;
        todo := lost;
    end loop;

    return query
    select r.task_instance_id, r.task_id, r.outcome, r.previous_status, r.status,
           r.task_previous_status, r.task_status, r.task_num_attempts, r.stale
      from unnest(decided) r
     order by r.task_instance_id;
end;
$$;
comment on function jobmon._move_task_instances(bigint[], text, text[], text[], timestamptz, boolean, text) is
    'Internal. Moves many task instances to one status by the rules of jobmon.task_instance_move, cascading like transition_task_instance() and writing the history credited to function_name; one row per requested id with its outcome (applied, unchanged, untimely, invalid, refused, skipped, conflict, not_found). Locks the tasks in id order first.';

-- ---------------------------------------------------------------------------
-- jobmon._lock_task_instance(task_instance_id bigint)
--   returns (status, task_id, task_status, stale, report_by_date, distributor_id)
--
-- Internal. Locks the task FOR NO KEY UPDATE (the project's lock order: the
-- task first; a task instance never changes task, see sql/12_row_guards.sql)
-- and reads the task instance after it, and returns what the callers decide
-- from. Holding the task holds its task instances: every writer of a task
-- instance locks its task first. Locks are held until the caller's transaction ends.
-- Raises 22004 NULL id, JM003 no task instance has this id.
-- ---------------------------------------------------------------------------
create or replace function jobmon._lock_task_instance(
    task_instance_id bigint,
    out status text, out task_id bigint, out task_status text, out stale boolean,
    out report_by_date timestamptz, out distributor_id text)
returns record
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
    ti_id constant bigint := _lock_task_instance.task_instance_id;
    task_row record;
begin
    if ti_id is null then
        raise exception 'task_instance_id must not be NULL'
            using errcode = '22004', hint = 'Nothing was changed.';
    end if;
    select t.id, t.status, t.current_attempt_from
      into task_row
      from jobmon.task t
     where t.id = (select ti.task_id from jobmon.task_instance ti where ti.id = ti_id)
       for no key update;
    if not found then
        raise exception 'TaskInstance id: % not found', ti_id
            using errcode = 'JM003', hint = 'Nothing was changed.';
    end if;
    -- Read in a statement of its own, after the task lock: it sees the last
    -- committed state. No lock of its own: every writer of a task instance
    -- locks its task first, so holding the task holds the task instance (the
    -- move itself locks it with its UPDATE).
    select ti.status, ti.report_by_date, ti.distributor_id::text
      into _lock_task_instance.status, _lock_task_instance.report_by_date, _lock_task_instance.distributor_id
      from jobmon.task_instance ti
     where ti.id = ti_id;
    _lock_task_instance.task_id := task_row.id;
    _lock_task_instance.task_status := task_row.status;
    _lock_task_instance.stale := ti_id < task_row.current_attempt_from;
end;
$$;
comment on function jobmon._lock_task_instance(bigint) is
    'Internal. Locks the task (FOR NO KEY UPDATE), which holds its task instances, and returns the task instance''s status, report_by_date and distributor_id and its task''s id and status as locked. Raises 22004 NULL id, JM003 not found.';

-- ---------------------------------------------------------------------------
-- jobmon._call_site_result(task_instance_id, outcome, previous_status, stale, error_description)
--   returns jobmon.call_site_result
--
-- Internal. The result of a call-site function: the task instance and its
-- task as they are after the call, with the call's outcome. With an
-- error_description (given only for an applied error move), it first adds
-- the task instance's one jobmon.task_instance_error_log row, in the same
-- statement, and returns its id. Reads rows the caller has locked.
-- ---------------------------------------------------------------------------
create or replace function jobmon._call_site_result(
    task_instance_id bigint, outcome text, previous_status text, stale boolean, error_description text)
returns jobmon.call_site_result
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
    ti_id  constant bigint := _call_site_result.task_instance_id;
    result jobmon.call_site_result;
begin
    -- PL/pgSQL, not SQL: a SQL function with a SET clause is planned again on every call.
    if error_description is null then
        select ti.id, ti.task_id, outcome, previous_status, ti.status, t.status, stale,
               ti.status_date, ti.report_by_date, ti.distributor_id::text, null::bigint
          into result
          from jobmon.task_instance ti
          join jobmon.task t on t.id = ti.task_id
         where ti.id = ti_id;
    else
        with logged as (
            insert into jobmon.task_instance_error_log (task_instance_id, description)
            values (ti_id, error_description)
            returning id
        )
        select ti.id, ti.task_id, outcome, previous_status, ti.status, t.status, stale,
               ti.status_date, ti.report_by_date, ti.distributor_id::text, logged.id
          into result
          from logged, jobmon.task_instance ti
          join jobmon.task t on t.id = ti.task_id
         where ti.id = ti_id;
    end if;
    return result;
end;
$$;
comment on function jobmon._call_site_result(bigint, text, text, boolean, text) is
    'Internal. The jobmon.call_site_result of a call: the task instance and its task as they are now, with the call''s outcome; with an error_description, adds the error-log row of an applied error move first (same statement).';

-- ---------------------------------------------------------------------------
-- jobmon._require_length(argument text, value text, max_length integer) returns void
--
-- Internal. Raises 22001 when value is longer than the column it is written
-- to; the message names the argument and its length, never its text.
-- ---------------------------------------------------------------------------
create or replace function jobmon._require_length(argument text, value text, max_length integer)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
    if length(value) > max_length then
        raise exception '% is too long: % characters, at most % are stored', argument, length(value), max_length
            using errcode = '22001', hint = 'Nothing was changed.';
    end if;
end;
$$;
comment on function jobmon._require_length(text, text, integer) is
    'Internal. Raises 22001 (naming the argument, not echoing it) when value is longer than max_length characters.';

-- ---------------------------------------------------------------------------
-- jobmon._require_description(description text) returns void
--
-- Internal. Raises 22004 when an error report has no description, 22001
-- when it is longer than 65535 characters (the limit of an error-log row).
-- ---------------------------------------------------------------------------
create or replace function jobmon._require_description(description text)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
    if description is null then
        raise exception 'description must not be NULL'
            using errcode = '22004', hint = 'Pass the error message ('''' when there is none). Nothing was changed.';
    end if;
    perform jobmon._require_length('description', description, 65535);
end;
$$;
comment on function jobmon._require_description(text) is
    'Internal. Raises 22004 when an error report''s description is NULL, 22001 when it is longer than 65535 characters.';

-- ---------------------------------------------------------------------------
-- jobmon._require_found(table_name text, model text, not_found_errcode text,
--     id bigint, row_exists boolean) returns void
--
-- Internal. The check of an id argument naming a row of jobmon.<table_name>:
-- raises 22004 '<table_name>_id must not be NULL' for a NULL id, else
-- not_found_errcode '<model> id: <id> not found' when row_exists is false
-- (the caller's lookup). Pure: the caller reads the row.
-- ---------------------------------------------------------------------------
create or replace function jobmon._require_found(
    table_name text, model text, not_found_errcode text, id bigint, row_exists boolean)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
    if id is null then
        raise exception '%_id must not be NULL', table_name
            using errcode = '22004', hint = format('Nothing was changed. Pass the id of a %s.', replace(table_name, '_', ' '));
    end if;
    if not row_exists then
        raise exception '% id: % not found', model, id
            using errcode = not_found_errcode, hint = format('Nothing was changed. Check the id against jobmon.%s.', table_name);
    end if;
end;
$$;
comment on function jobmon._require_found(text, text, text, bigint, boolean) is
    'Internal. Raises 22004 for a NULL id of a jobmon.<table_name> row and not_found_errcode (''<model> id: <id> not found'') when row_exists is false.';

-- ---------------------------------------------------------------------------
-- jobmon._require_workflow_run(workflow_run_id bigint) / _require_workflow(workflow_id bigint)
--
-- Raise 22004 for NULL and JM010 / JM011 when no such row exists, through
-- jobmon._require_found(). Read one row by primary key; lock nothing. Internal.
-- ---------------------------------------------------------------------------
create or replace function jobmon._require_workflow_run(workflow_run_id bigint)
returns void
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
    perform jobmon._require_found('workflow_run', 'WorkflowRun', 'JM010', workflow_run_id,
        exists (select 1 from jobmon.workflow_run r where r.id = _require_workflow_run.workflow_run_id));
end;
$$;
comment on function jobmon._require_workflow_run(bigint) is
    'Internal. Raises 22004 for a NULL workflow run id and JM010 when no workflow run has it.';

create or replace function jobmon._require_workflow(workflow_id bigint)
returns void
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
begin
    perform jobmon._require_found('workflow', 'Workflow', 'JM011', workflow_id,
        exists (select 1 from jobmon.workflow w where w.id = _require_workflow.workflow_id));
end;
$$;
comment on function jobmon._require_workflow(bigint) is
    'Internal. Raises 22004 for a NULL workflow id and JM011 when no workflow has it.';

-- ---------------------------------------------------------------------------
-- jobmon._resets_on_resume(status text, reset_running boolean) returns boolean
--
-- Whether a resume (or a rebind) resets a task in `status`: every task that
-- is not D, and R only when running tasks are reset too (a cold resume).
-- Called by: jobmon.bind_tasks(), jobmon.reset_tasks_for_resume(). Internal; pure.
-- ---------------------------------------------------------------------------
create or replace function jobmon._resets_on_resume(status text, reset_running boolean)
returns boolean
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
    select status <> 'D' and (reset_running or status <> 'R');
$$;
comment on function jobmon._resets_on_resume(text, boolean) is
    'Internal. Whether a resume or a rebind resets a task in this status: not D, and R only when reset_running.';

-- ---------------------------------------------------------------------------
-- jobmon._may_reset(status text) returns boolean
--
-- Whether the reset move takes a task in `status` to G: a 'resume' row of
-- jobmon.task_transition from it (G itself stays G). Called by:
-- jobmon.bind_tasks(), jobmon.reset_tasks_for_resume(). Internal; reads the
-- rule table.
-- ---------------------------------------------------------------------------
create or replace function jobmon._may_reset(status text)
returns boolean
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
    select status = 'G' or exists (select 1 from jobmon.task_transition r
                                    where r.kind = 'resume' and r.from_status = _may_reset.status and r.to_status = 'G');
$$;
comment on function jobmon._may_reset(text) is
    'Internal. Whether the reset move (the ''resume'' rows of jobmon.task_transition) takes a task in this status to G.';
