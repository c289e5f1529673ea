-- The move of one task instance: the one implementation and its public door
-- (the result type is in migrations/0001_schema.sql). Applied repeatably by
-- the post-apply step (create or replace).
--
-- LOCK ORDER (the rule for every jobmon function that touches more than one
-- row): the task row first, then its task-instance rows; several rows of one
-- table in ascending id order. Rows are locked FOR NO KEY UPDATE, which does
-- not block inserts of rows that reference them.

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
