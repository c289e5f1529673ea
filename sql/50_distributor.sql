-- What the distributor (and its reconciler) reports about one task instance:
-- log_distributor_id, log_no_distributor_id, log_unknown_error. The shared
-- helpers and the pattern they follow are in sql/40_worker_node.sql.
-- Applied repeatably by the post-apply step (create or replace).

-- ---------------------------------------------------------------------------
-- jobmon.log_distributor_id(task_instance_id bigint, distributor_id text,
--   next_report_increment interval) returns jobmon.call_site_result
--
-- The cluster accepted the job and gave it distributor_id. Decided from the
-- status as locked:
--   I -> launched (I -> O through jobmon._transition_task_instance()), and
--        distributor_id, submitted_date = now() and report_by_date = clock_timestamp() +
--        next_report_increment written with the move; outcome 'applied';
--   I of a stale attempt (its task was queued again or reset): never
--        launched; moved I -> K with its distributor_id and submitted_date,
--        so the job is killed; outcome 'stale';
--   O, R, T, X, K (launched, or moved on by the worker or the reconciler):
--        the status is kept; the id is written only when the task instance
--        has none (outcome 'id_recorded'); the same id: 'unchanged'; another
--        id: kept, outcome 'ignored';
--   W, D, E, U, Z, F (finished): left alone, outcome 'ignored';
--   Q (never instantiated): JM001, as the move Q -> O is invalid.
-- Called by: the distributor (non-array submissions). Locks: the task, then
-- the task instance.
-- Raises: 22004 NULL argument; 22023 increment not positive or over 100
-- years, blank distributor_id; 22001 distributor_id longer than 20; JM003
-- not found; JM001/JM002 as jobmon.transition_task_instance().
-- ---------------------------------------------------------------------------
create or replace function jobmon.log_distributor_id(
    task_instance_id bigint, distributor_id text, next_report_increment interval)
returns jobmon.call_site_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
as $$
declare
    ti_id   constant bigint := log_distributor_id.task_instance_id;
    locked  record;
    outcome text := 'ignored';
begin
    perform jobmon._require_distributor_id(distributor_id, false),
            jobmon._require_interval('next_report_increment', next_report_increment, false);
    locked := jobmon._lock_task_instance(ti_id);
    if locked.stale and locked.status = 'I' then
        -- Only a task's current attempt may be launched: a stale one is told to
        -- die instead, with its job id, so that its job can be killed.
        perform jobmon._transition_task_instance(ti_id, 'K', jsonb_build_object(
            'distributor_id', distributor_id, 'submitted_date', now()), 'log_distributor_id');
        outcome := 'stale';
    elsif locked.status in ('I', 'Q') then
        -- Launched, with the id and the deadlines in the same write (Q raises JM001).
        outcome := (jobmon._transition_task_instance(ti_id, 'O', jsonb_build_object(
            'distributor_id', distributor_id, 'submitted_date', now(),
            'report_by_date', clock_timestamp() + next_report_increment), 'log_distributor_id')).outcome;
    elsif locked.status in ('O', 'R', 'T', 'X', 'K') then  -- launched or moved on, not finished
        outcome := jobmon._distributor_id_outcome(locked.distributor_id, distributor_id);
        if outcome = 'record' then
            update jobmon.task_instance ti
               set distributor_id = log_distributor_id.distributor_id
             where ti.id = ti_id;
            outcome := 'id_recorded';
        end if;
    end if;
    return jobmon._call_site_result(ti_id, outcome, locked.status, locked.stale, null::text);
end;
$$;
comment on function jobmon.log_distributor_id(bigint, text, interval) is
    'The distributor''s job id for a task instance: from I, launches it (I -> O) and writes distributor_id, submitted_date and report_by_date (outcome ''applied''; a stale attempt goes I -> K instead, outcome ''stale''); a task instance already launched or moved on (O, R, T, X, K) keeps its status and gets the id only if it has none (''id_recorded''; same id: ''unchanged''); a finished one is left alone (''ignored''). Locks task, then task instance. Raises 22004, 22023, 22001, JM003, JM001 (from Q), JM002. See docs/sql-api.md.';

-- ---------------------------------------------------------------------------
-- jobmon.log_no_distributor_id(task_instance_id bigint, description text)
--   returns jobmon.call_site_result
--
-- Submission failed: no distributor id came back. Already W: nothing
-- written, outcome 'unchanged'. Else asks for the move to W (I -> W); when
-- applied, adds one task_instance_error_log row with description.
-- Called by: the distributor. Locks: the task, then the task instance.
-- Raises: 22004 NULL argument; JM003 not found; JM001/JM002 as
-- jobmon.transition_task_instance() (any status but I and W).
-- ---------------------------------------------------------------------------
create or replace function jobmon.log_no_distributor_id(task_instance_id bigint, description text)
returns jobmon.call_site_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
as $$
declare
    ti_id   constant bigint := log_no_distributor_id.task_instance_id;
    locked  record;
    outcome text := 'unchanged';
begin
    perform jobmon._require_description(description);
    locked := jobmon._lock_task_instance(ti_id);
    if locked.status <> 'W' then
        outcome := (jobmon._transition_task_instance(ti_id, 'W', null, 'log_no_distributor_id')).outcome;
    end if;
    -- The error-log row only for an applied move.
    return jobmon._call_site_result(ti_id, outcome, locked.status, locked.stale,
                                    case when outcome = 'applied' then description end);
end;
$$;
comment on function jobmon.log_no_distributor_id(bigint, text) is
    'Submission failed: moves the task instance I -> W and adds one task_instance_error_log row. Already W: outcome ''unchanged'', nothing written. Locks task, then task instance. Raises 22004, JM003, JM001, JM002. See docs/sql-api.md.';

-- ---------------------------------------------------------------------------
-- jobmon.log_unknown_error(task_instance_id bigint, description text)
--   returns jobmon.call_site_result
--
-- The reconciler's verdict U (no exit status found after triage). Decided
-- from the task instance as locked:
--   already U                        -> nothing written, outcome 'unchanged';
--   report_by_date in the future     -> a heartbeat came after triage started:
--                                       nothing written, outcome 'not_overdue';
--   otherwise (deadline passed or never set) -> asks for the move to U
--      (T/R/O -> U; E, Z, D, K -> U are untimely: nothing written); when
--      applied, adds one task_instance_error_log row with description.
-- Called by: the distributor's reconciler. Locks: the task, then the task
-- instance.
-- Raises: 22004 NULL argument; JM003 not found; JM001/JM002 as
-- jobmon.transition_task_instance().
-- ---------------------------------------------------------------------------
create or replace function jobmon.log_unknown_error(task_instance_id bigint, description text)
returns jobmon.call_site_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
as $$
declare
    ti_id   constant bigint := log_unknown_error.task_instance_id;
    locked  record;
    outcome text := 'unchanged';
begin
    perform jobmon._require_description(description);
    locked := jobmon._lock_task_instance(ti_id);
    if locked.status = 'U' then
        null;  -- a repeat
    elsif locked.report_by_date > now() then
        outcome := 'not_overdue';
    else
        outcome := (jobmon._transition_task_instance(ti_id, 'U', null, 'log_unknown_error')).outcome;
    end if;
    -- The error-log row only for an applied move.
    return jobmon._call_site_result(ti_id, outcome, locked.status, locked.stale,
                                    case when outcome = 'applied' then description end);
end;
$$;
comment on function jobmon.log_unknown_error(bigint, text) is
    'The reconciler''s unknown-error verdict: moves the task instance to U and adds one task_instance_error_log row, only while its report_by_date is still in the past (else outcome ''not_overdue'', nothing written). Already U: ''unchanged''; untimely: nothing written. Locks task, then task instance. Raises 22004, JM003, JM001, JM002. See docs/sql-api.md.';
