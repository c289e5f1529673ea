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
-- The one implementation of a single task instance's move: the body of
-- jobmon.transition_task_instance() (a generated copy, see below) and the
-- move of the call-site functions (which pass
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
-- The rules are read from jobmon._task_instance_move_rule(), the constant
-- form of jobmon.task_instance_move (the detail of a refused cascade from the
-- table itself); the migration derives both from the rule tables, and
-- nothing here repeats them.
--
-- Called by: the call-site functions, on behalf of the distributor, the
-- worker node and the reconciler, one call per status report (the same body
-- runs as jobmon.transition_task_instance()).
--
-- Internal: only the owner may call it. It runs with its caller's rights and
-- plan settings: its callers are jobmon functions that already run as the
-- owner (SECURITY DEFINER) with generic plans, and switching user and
-- settings again on every call cost about 10 µs of its 200 (measured).
--
-- Locks: the task row (FOR NO KEY UPDATE), which holds its task instances:
-- every writer of a task instance locks its task first. The UPDATE that moves
-- the task instance locks it too. Both are held until the caller's
-- transaction ends. A task instance never changes task
-- (jobmon.task_instance.task_id is fixed, see sql/12_row_guards.sql), so the
-- task found with it is the one to lock. Every decision is taken under the
-- task lock, so concurrent calls on one task instance serialise and each sees
-- the previous one's result.
--
-- How the decision is made after the lock: one statement reads the task
-- instance (its task, status and row version), the next locks its task and
-- reads what the rule for the move depends on (its status, whether attempts
-- are left, whether this attempt is stale). When the lock had to wait, the read
-- of the task instance may predate the transaction it waited for, so
--   * a move is written only to the row version read and while the task
--     instance still has the status it was read in (the UPDATE re-checks
--     both); if it has moved on, the read is made again, now under the lock
--     already held, and the decision with it;
--   * a refusal (untimely or invalid) is only ever decided on a read made
--     while the lock was already held: the first read's refusal is checked by
--     a second read before it is reported.
-- Both rows are written by their row version (ctid), read in this call: the
-- task's under its lock, so it is current; the task instance's re-checked as
-- above. A lookup by ctid costs less than one by id through the index.
--
-- Speed: its callers force generic plans (plan_cache_mode): PL/pgSQL
-- otherwise kept making a custom plan of the UPDATE on every call, which cost
-- more than the rest of the call. A plain move (columns NULL) runs the short
-- UPDATE. Reading the task instance and locking its task in two single-table
-- statements, writing by ctid, and keeping what was read in variables rather
-- than records each cost fewer executed instructions than the alternative
-- (measured, docs/performance.md). PL/pgSQL prepares every expression of the
-- body once per transaction, about 1,700 instructions each, so the happy path
-- evaluates as few as it can: a plain loop rather than FOR with bounds, no
-- assignment that only copies a value, columns NULL without a default.
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
create or replace function jobmon._transition_task_instance(task_instance_id bigint, new_status text, columns jsonb)
returns jobmon.task_instance_transition_result
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
    -- Variables, not records: a record's fields cost more as parameters of a statement.
    ti_task_id        bigint;   -- the task instance as read: its task, status and row version
    ti_status         text;
    ti_ctid           tid;
    task_before       text;     -- its task as locked
    attempts_before   integer;
    has_attempts_left boolean;
    stale             boolean;
    task_ctid         tid;
    rule              text;     -- the rule for the move (see jobmon._task_instance_move_rule)
    retried           boolean;  -- NULL on the first pass, true on the second
    refused           record;   -- the task move a refused cascade asks for
    moved_at          timestamptz;
    task_after        text;     -- the task's status and attempts after the move, when it was written
    attempts_after    integer;
begin
    -- task_instance_id is the argument, unqualified: the body is also transition_task_instance's.
    loop
        select ti.task_id, ti.status, ti.ctid
          into ti_task_id, ti_status, ti_ctid
          from jobmon.task_instance ti
         where ti.id = task_instance_id;
        if not found then
            if task_instance_id is null then
                raise exception 'task_instance_id must not be NULL'
                    using errcode = '22004';
            end if;
            perform jobmon.require_task_instance_status(new_status);  -- an unknown code is reported first
            raise exception 'TaskInstance id: % not found', task_instance_id
                using errcode = 'JM003';
        end if;
        select t.status, t.num_attempts, jobmon._attempts_left(t.num_attempts, t.max_attempts),
               task_instance_id < t.current_attempt_from, t.ctid
          into task_before, attempts_before, has_attempts_left, stale, task_ctid
          from jobmon.task t
         where t.id = ti_task_id
           for no key update;
        rule := jobmon._task_instance_move_rule(ti_status, new_status, task_before, has_attempts_left);

        -- Applicable: a valid pair whose cascade the task accepts (a stale
        -- attempt moves alone, so its cascade does not matter).
        if rule <> 'untimely' and (rule <> 'refused' or stale) then
            if columns is null then
                update jobmon.task_instance ti
                   set status = new_status, status_date = now()
                 where ti.ctid = ti_ctid and ti.status = ti_status
                returning ti.status_date into moved_at;
            else
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
                       stdout_log = coalesce(c.stdout_log, ti.stdout_log),
                       stderr_log = coalesce(c.stderr_log, ti.stderr_log)
                  from jsonb_populate_record(null::jobmon.task_instance, columns) c
                 where ti.ctid = ti_ctid and ti.status = ti_status
                returning ti.status_date into moved_at;
            end if;
            if found then
                -- The task is written when it changes or counts an attempt ('Q+' from Q).
                if not stale and rule <> task_before then
                    update jobmon.task t
                       set status = rtrim(rule, '+'),
                           num_attempts = t.num_attempts + (rule like '%+')::integer,
                           status_date = now()
                     where t.ctid = task_ctid
                    returning t.status, t.num_attempts into task_after, attempts_after;
                end if;
                return (task_instance_id, ti_task_id, 'applied', ti_status, new_status, task_before,
                        coalesce(task_after, task_before), coalesce(attempts_after, attempts_before), moved_at,
                        stale)::jobmon.task_instance_transition_result;
            end if;
        end if;
        -- Not applied: decide again, once, on a read made under the lock already held.
        exit when retried;
        retried := true;
    end loop;

    if rule = 'untimely' then
        return (task_instance_id, ti_task_id, 'untimely', ti_status, ti_status, task_before,
                task_before, attempts_before,
                (select ti.status_date from jobmon.task_instance ti where ti.ctid = ti_ctid),
                stale)::jobmon.task_instance_transition_result;
    end if;
    if rule is null then
        perform jobmon.require_task_instance_status(new_status);
        raise exception 'Cannot transition TaskInstance id: % from % to %', task_instance_id, ti_status, new_status
            using errcode = 'JM001',
                  detail = jobmon.describe_task_instance_transitions_from(ti_status),
                  hint = 'Nothing was changed. Read the current status with jobmon-db show or from jobmon.task_instance before retrying.';
    end if;
    if rule = 'refused' then  -- a valid pair whose cascade the task refuses
        select m.refused_task_from, m.refused_task_to
          into refused
          from jobmon.task_instance_move m
         where m.from_status = ti_status and m.to_status = new_status
           and m.task_status = task_before and m.attempts_left = has_attempts_left;
        raise exception 'Cannot transition Task id: % from % to %', ti_task_id, refused.refused_task_from, refused.refused_task_to
            using errcode = 'JM002',
                  detail = format('Asked for by TaskInstance id: %s moving from %s to %s. Valid task transitions from %s: %s.',
                                  task_instance_id, ti_status, new_status, refused.refused_task_from,
                                  coalesce((select string_agg(r.to_status, ', ' order by r.to_status)
                                              from jobmon.task_transition r
                                             where r.from_status = refused.refused_task_from and r.kind = 'cascade'),
                                           'none')),
                  hint = 'Nothing was changed: the task instance keeps its status. The task was probably moved on by another run (for example reset by a workflow resume).';
    end if;
    raise exception 'TaskInstance id: % changed while its task was locked', task_instance_id
        using errcode = '40001',
              detail = 'A writer that does not lock the task first changed the task instance. Nothing was changed.',
              hint = 'Retry the call.';
end;
$$;
comment on function jobmon._transition_task_instance(bigint, text, jsonb) is
    'Internal. jobmon.transition_task_instance(), writing with an applied move the non-NULL route columns in columns (nodename, process_group_id, distributor_id, submitted_date, report_by_date and the usage columns), in the same UPDATE.';

-- ---------------------------------------------------------------------------
-- jobmon.transition_task_instance(task_instance_id bigint, new_status text)
--   returns jobmon.task_instance_transition_result
--
-- The public move: jobmon._transition_task_instance() with no columns (see
-- it for what it does, locks and raises). Its body is that function's body,
-- copied by the statement below inside a block that declares columns NULL,
-- so the two never differ and nothing here repeats the move. Why a copy and
-- not a call: a second PL/pgSQL call, with its own SET clause to switch and
-- restore, cost about 20,000 of a move's 865,000 executed instructions
-- (measured; docs/performance.md).
-- ---------------------------------------------------------------------------
do $do$
begin
    execute format($create$
        create or replace function jobmon.transition_task_instance(task_instance_id bigint, new_status text)
        returns jobmon.task_instance_transition_result
        language plpgsql
        volatile
        security definer
        set search_path = pg_catalog, pg_temp
        set jobmon.function = 'transition_task_instance'
        set plan_cache_mode = force_generic_plan
        as %L
        $create$,
        E'\ndeclare\n    columns constant jsonb;  -- NULL: the public move writes no route column\nbegin'
            || (select p.prosrc from pg_catalog.pg_proc p
                 where p.oid = 'jobmon._transition_task_instance(bigint, text, jsonb)'::pg_catalog.regprocedure)
            || E'end;\n');
end;
$do$;
comment on function jobmon.transition_task_instance(bigint, text) is
    'Moves a task instance to new_status (a one-character code) and cascades to its task, under row locks (task, then task instance), by the rules in jobmon.task_instance_move. Returns one row: outcome ''applied'' or ''untimely'' (ignored race), statuses before and after, stale = true when the task instance is an attempt its task has left behind (then the task is not touched). Raises JM001 invalid transition, JM002 invalid task move in the cascade, JM003 not found, 22004 NULL argument, 22023 unknown status. See docs/sql-api.md.';
