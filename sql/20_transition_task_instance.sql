-- The public transition function (its result type is in migrations/0001_schema.sql).
-- Applied repeatably by the post-apply step (create or replace).
--
-- LOCK ORDER (the rule for every jobmon function that touches more than one
-- row): the task row first, then its task-instance rows; several rows of one
-- table in ascending id order. Rows are locked FOR NO KEY UPDATE, which does
-- not block inserts of rows that reference them.

-- ---------------------------------------------------------------------------
-- jobmon._transition_task_instance(task_instance_id bigint, new_status text, columns jsonb)
--   returns jobmon.task_instance_transition_result
--
-- The one implementation of a single task instance's move, behind
-- jobmon.transition_task_instance() and the call-site functions (which pass
-- the columns their route writes with the move: the non-NULL keys of columns
-- among nodename, process_group_id, distributor_id, submitted_date,
-- report_by_date and the usage columns, written by the same UPDATE as the
-- move, and only when it is applied).
--
-- Moves a task instance to new_status and cascades the change to its task,
-- exactly as the reference model's TaskInstance.transition():
--   * an untimely pair (a late report that lost a race) changes nothing and
--     returns outcome 'untimely';
--   * a valid pair sets the task instance's status and status_date, then
--     moves the task (see jobmon.task_moves_on_entering): a move to the
--     status the task already has does nothing, entering Q counts an attempt,
--     a changed task gets a new status_date; outcome 'applied';
--   * anything else raises, and nothing changes;
--   * a stale attempt (a task instance whose task has moved on to a newer
--     attempt: queued again or reset by a resume; see
--     jobmon.task.current_attempt_from) is moved alone: its task is not
--     touched, and the result says stale = true.
-- The rules are read from jobmon.task_instance_move, which the migration
-- derives from the rule tables; nothing here repeats them.
--
-- Called by: the distributor, the worker node and the reconciler (through the
-- jobmon_db Python package or directly), one call per status report.
--
-- Runs with the owner's rights (SECURITY DEFINER): callers need EXECUTE only.
--
-- Locks: the task row, then the task-instance row (FOR NO KEY UPDATE), held
-- until the caller's transaction ends. A task instance never changes task
-- (jobmon.task_instance.task_id is fixed, see sql/12_row_guards.sql), so the
-- task found before any lock is held is the one to lock. Every decision is taken after both
-- locks are held, so concurrent calls on one task instance serialise and
-- each sees the previous one's result.
--
-- Speed: plans are forced generic (plan_cache_mode): PL/pgSQL otherwise kept
-- making a custom plan of the UPDATE on every call, which cost more than the
-- rest of the call.
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
--   and lock_timeout / statement_timeout errors (55P03, 57014) when the
--   caller set those and a lock is held too long.
-- ---------------------------------------------------------------------------
create or replace function jobmon._transition_task_instance(task_instance_id bigint, new_status text, columns jsonb)
returns jobmon.task_instance_transition_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
as $$
declare
    ti_id    constant bigint := _transition_task_instance.task_instance_id;
    task_row record;
    move     record;
    result   jobmon.task_instance_transition_result;
begin
    if ti_id is null then
        raise exception 'task_instance_id must not be NULL'
            using errcode = '22004';
    end if;

    select t.id, t.status, t.num_attempts, t.num_attempts < t.max_attempts as attempts_left,
           ti_id < t.current_attempt_from as stale
      into task_row
      from jobmon.task t
     where t.id = (select ti.task_id from jobmon.task_instance ti where ti.id = ti_id)
       for no key update;
    if not found then
        perform jobmon.require_task_instance_status(new_status);  -- an unknown code is reported first
        raise exception 'TaskInstance id: % not found', ti_id
            using errcode = 'JM003';
    end if;

    -- The happy path: the UPDATE locks the task instance and moves it only if
    -- the rules allow the move for the row as locked (a stale attempt moves
    -- even when its cascade would be refused, since it does not cascade);
    -- then the task follows.
    update jobmon.task_instance ti
       set status = new_status, status_date = now(),
           nodename = coalesce(c.nodename, ti.nodename),
           process_group_id = coalesce(c.process_group_id, ti.process_group_id),
           distributor_id = coalesce(c.distributor_id, ti.distributor_id),
           submitted_date = coalesce(c.submitted_date, ti.submitted_date),
           report_by_date = coalesce(c.report_by_date, ti.report_by_date),
           usage_str = coalesce(c.usage_str, ti.usage_str), wallclock = coalesce(c.wallclock, ti.wallclock),
           maxrss = coalesce(c.maxrss, ti.maxrss), maxpss = coalesce(c.maxpss, ti.maxpss),
           cpu = coalesce(c.cpu, ti.cpu), io = coalesce(c.io, ti.io),
           stdout = coalesce(c.stdout, ti.stdout), stderr = coalesce(c.stderr, ti.stderr),
           stdout_log = coalesce(c.stdout_log, ti.stdout_log), stderr_log = coalesce(c.stderr_log, ti.stderr_log)
      from jobmon.task_instance_move m,
           jsonb_populate_record(null::jobmon.task_instance, columns) c
     where ti.id = ti_id
       and m.from_status = ti.status and m.to_status = new_status and m.kind = 'valid'
       and m.task_status = task_row.status and m.attempts_left = task_row.attempts_left
       and (m.task_to_status is not null or task_row.stale)
    returning m.from_status, m.task_to_status, m.adds_attempt, ti.status_date
         into move;

    result.task_instance_id := ti_id;
    result.task_id := task_row.id;
    result.task_previous_status := task_row.status;
    result.task_status := task_row.status;
    result.task_num_attempts := task_row.num_attempts;
    result.stale := task_row.stale;
    if found then
        result.outcome := 'applied';
        result.previous_status := move.from_status;
        result.status := new_status;
        result.status_date := move.status_date;
        if not task_row.stale and (move.task_to_status <> task_row.status or move.adds_attempt) then
            update jobmon.task t
               set status = move.task_to_status,
                   num_attempts = t.num_attempts + move.adds_attempt::integer,
                   status_date = now()
             where t.id = task_row.id
            returning t.status, t.num_attempts into result.task_status, result.task_num_attempts;
        end if;
        return result;
    end if;

    -- Not applied: lock the task instance and say why.
    select ti.status as from_status, ti.status_date, m.kind, m.refused_task_from, m.refused_task_to
      into move
      from jobmon.task_instance ti
      left join jobmon.task_instance_move m
        on m.from_status = ti.status and m.to_status = new_status
       and m.task_status = task_row.status and m.attempts_left = task_row.attempts_left
     where ti.id = ti_id
       for no key update of ti;
    if move.kind is null then
        perform jobmon.require_task_instance_status(new_status);
        raise exception 'Cannot transition TaskInstance id: % from % to %', ti_id, move.from_status, new_status
            using errcode = 'JM001',
                  detail = jobmon.describe_task_instance_transitions_from(move.from_status),
                  hint = 'Nothing was changed. Read the current status with jobmon-db show or from jobmon.task_instance before retrying.';
    end if;
    if move.kind = 'valid' then  -- a valid pair not applied: its cascade is refused
        raise exception 'Cannot transition Task id: % from % to %', task_row.id, move.refused_task_from, move.refused_task_to
            using errcode = 'JM002',
                  detail = format('Asked for by TaskInstance id: %s moving from %s to %s. Valid task transitions from %s: %s.',
                                  ti_id, move.from_status, new_status, move.refused_task_from,
                                  coalesce((select string_agg(r.to_status, ', ' order by r.to_status)
                                              from jobmon.task_transition r
                                             where r.from_status = move.refused_task_from and r.kind = 'cascade'),
                                           'none')),
                  hint = 'Nothing was changed: the task instance keeps its status. The task was probably moved on by another run (for example reset by a workflow resume).';
    end if;
    result.outcome := 'untimely';
    result.previous_status := move.from_status;
    result.status := move.from_status;
    result.status_date := move.status_date;
    return result;
end;
$$;
comment on function jobmon._transition_task_instance(bigint, text, jsonb) is
    'Internal. jobmon.transition_task_instance(), writing with an applied move the non-NULL route columns in columns (nodename, process_group_id, distributor_id, submitted_date, report_by_date and the usage columns), in the same UPDATE.';

-- ---------------------------------------------------------------------------
-- jobmon.transition_task_instance(task_instance_id bigint, new_status text)
--   returns jobmon.task_instance_transition_result
--
-- The public door of the move described above (jobmon._transition_task_instance
-- with no columns): see it for what it does, locks and raises.
-- ---------------------------------------------------------------------------
create or replace function jobmon.transition_task_instance(task_instance_id bigint, new_status text)
returns jobmon.task_instance_transition_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set jobmon.function = 'transition_task_instance'
as $$
begin
    return jobmon._transition_task_instance(task_instance_id, new_status, null);
end;
$$;
comment on function jobmon.transition_task_instance(bigint, text) is
    'Moves a task instance to new_status (a one-character code) and cascades to its task, under row locks (task, then task instance), by the rules in jobmon.task_instance_move. Returns one row: outcome ''applied'' or ''untimely'' (ignored race), statuses before and after, stale = true when the task instance is an attempt its task has left behind (then the task is not touched). Raises JM001 invalid transition, JM002 invalid task move in the cascade, JM003 not found, 22004 NULL argument, 22023 unknown status. See docs/sql-api.md.';
