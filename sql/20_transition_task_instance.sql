-- The public transition function (its result type is in migrations/0001_schema.sql).
-- Applied repeatably by the post-apply step (create or replace).
--
-- LOCK ORDER (the rule for every jobmon function that touches more than one
-- row): the task row first, then its task-instance rows; several rows of one
-- table in ascending id order. Rows are locked FOR NO KEY UPDATE, which does
-- not block inserts of rows that reference them.

-- ---------------------------------------------------------------------------
-- jobmon.transition_task_instance(task_instance_id bigint, new_status text)
--   returns jobmon.task_instance_transition_result
--
-- Moves a task instance to new_status and cascades the change to its task,
-- exactly as the reference model's TaskInstance.transition():
--   * an untimely pair (a late report that lost a race) changes nothing and
--     returns outcome 'untimely';
--   * a valid pair sets the task instance's status and status_date, then
--     moves the task (see jobmon.task_moves_on_entering): a move to the
--     status the task already has does nothing, entering Q counts an attempt,
--     a changed task gets a new status_date; outcome 'applied';
--   * anything else raises, and nothing changes.
--
-- Called by: the distributor, the worker node and the reconciler (through the
-- jobmon_db Python package or directly), one call per status report.
--
-- Locks: the task row, then the task-instance row (FOR NO KEY UPDATE), held
-- until the caller's transaction ends. Every decision is taken after both
-- locks are held, so concurrent calls on one task instance serialise and
-- each sees the previous one's result.
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
create or replace function jobmon.transition_task_instance(task_instance_id bigint, new_status text)
returns jobmon.task_instance_transition_result
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
    ti_id      constant bigint := transition_task_instance.task_instance_id;
    locked_task_id bigint;
    status_known boolean;
    task_row   jobmon.task;
    ti_status  text;
    rule_kind  text;
    next_task_status text;
    result     jobmon.task_instance_transition_result;
begin
    if ti_id is null then
        raise exception 'task_instance_id must not be NULL'
            using errcode = '22004';
    end if;
    -- Lock the task, then the task instance. task_id is read before any lock
    -- is held, so it is re-checked under the lock and the locks are taken
    -- again if the task instance moved to another task meanwhile.
    -- Reads share statements where they can, for speed: every statement has
    -- a fixed cost of its own, a large part of a whole transition's.
    loop
        -- new_status is checked first (an unknown code is reported even for a
        -- missing task instance); the helper only runs to raise the error.
        select exists (select 1 from jobmon.task_instance_status s where s.id = new_status),
               (select ti.task_id from jobmon.task_instance ti where ti.id = ti_id)
          into status_known, locked_task_id;
        if not status_known then
            perform jobmon.require_task_instance_status(new_status);
        end if;
        if locked_task_id is null then
            raise exception 'TaskInstance id: % not found', ti_id
                using errcode = 'JM003';
        end if;

        select * into strict task_row
          from jobmon.task t where t.id = locked_task_id
           for no key update;

        -- A valid move is written at once: the UPDATE locks the task instance
        -- (in FOR NO KEY UPDATE mode) and checks the rule against the row as
        -- locked, which saves a separate lock and its WAL record. The task
        -- moves are checked below; an invalid one raises, which undoes this.
        update jobmon.task_instance ti
           set status = new_status, status_date = now()
          from jobmon.task_instance_transition r
         where ti.id = ti_id and ti.task_id = locked_task_id
           and r.from_status = ti.status and r.to_status = new_status and r.kind = 'valid'
        returning r.from_status, r.kind, ti.status_date
             into ti_status, rule_kind, result.status_date;
        exit when found;

        -- Not valid (or moved): lock the task instance and read why. A valid
        -- pair here means the row changed since the UPDATE looked: go again.
        select ti.status, ti.status_date,
               (select r.kind from jobmon.task_instance_transition r
                 where r.from_status = ti.status and r.to_status = new_status)
          into ti_status, result.status_date, rule_kind
          from jobmon.task_instance ti
         where ti.id = ti_id and ti.task_id = locked_task_id
           for no key update;
        exit when found and rule_kind is distinct from 'valid';
    end loop;

    result.task_instance_id := ti_id;
    result.task_id := task_row.id;
    result.previous_status := ti_status;
    result.task_previous_status := task_row.status;

    if rule_kind = 'untimely' then
        result.outcome := 'untimely';
        result.status := ti_status;
        result.task_status := task_row.status;
        result.task_num_attempts := task_row.num_attempts;
        return result;
    end if;

    if rule_kind is null then
        raise exception 'Cannot transition TaskInstance id: % from % to %', ti_id, ti_status, new_status
            using errcode = 'JM001',
                  detail = jobmon.describe_task_instance_transitions_from(ti_status),
                  hint = 'Nothing was changed. Read the current status with jobmon-db show or from jobmon.task_instance before retrying.';
    end if;

    -- Walk the task through the cascade in memory, checking every move,
    -- before the task is written (an invalid move also undoes the task
    -- instance's update: the raised error rolls the whole call back).
    foreach next_task_status in array
        jobmon.task_moves_on_entering(new_status, task_row.num_attempts, task_row.max_attempts)
    loop
        continue when next_task_status = task_row.status;
        if not exists (select 1 from jobmon.task_transition r
                        where r.from_status = task_row.status and r.to_status = next_task_status) then
            raise exception 'Cannot transition Task id: % from % to %', task_row.id, task_row.status, next_task_status
                using errcode = 'JM002',
                      detail = format('Asked for by TaskInstance id: %s moving from %s to %s. Valid task transitions from %s: %s.',
                                      ti_id, ti_status, new_status, task_row.status,
                                      coalesce((select string_agg(r.to_status, ', ' order by r.to_status)
                                                  from jobmon.task_transition r
                                                 where r.from_status = task_row.status), 'none')),
                      hint = 'Nothing was changed: the task instance keeps its status. The task was probably moved on by another run (for example reset by a workflow resume).';
        end if;
        if next_task_status = 'Q' then
            task_row.num_attempts := task_row.num_attempts + 1;
        end if;
        task_row.status := next_task_status;
    end loop;

    if task_row.status is distinct from result.task_previous_status then
        update jobmon.task t
           set status = task_row.status, num_attempts = task_row.num_attempts, status_date = now()
         where t.id = task_row.id;
    end if;

    result.outcome := 'applied';
    result.status := new_status;
    result.task_status := task_row.status;
    result.task_num_attempts := task_row.num_attempts;
    return result;
end;
$$;
comment on function jobmon.transition_task_instance(bigint, text) is
    'Moves a task instance to new_status (a one-character code) and cascades to its task, under row locks (task, then task instance). Returns one row: outcome ''applied'' or ''untimely'' (ignored race), statuses before and after. Raises JM001 invalid transition, JM002 invalid task move in the cascade, JM003 not found, 22004 NULL argument, 22023 unknown status. See docs/sql-api.md.';
