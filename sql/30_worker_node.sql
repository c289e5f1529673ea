-- What the worker node calls about its task instance: its wire form
-- (worker_node_task_instance, array_task_instance for an array job, the
-- reference model's to_wire_as_worker_node_task_instance column for column)
-- and one function per report: log_running, log_heartbeat, log_done,
-- log_error (also the reconciler's). Result types are in
-- migrations/0003_call_sites.sql; the shared internal functions and the
-- pattern the reports follow are in sql/20_move.sql. Applied repeatably by
-- the post-apply step (create or replace).

-- ---------------------------------------------------------------------------
-- jobmon._worker_node_task_instance(task_instance_id bigint)
--   returns jobmon.worker_node_task_instance_wire
--
-- Internal. The read behind jobmon.worker_node_task_instance(), also called
-- by jobmon.log_running() (which runs as the owner already, so the read
-- runs with its caller's rights and plan settings instead of switching
-- again). Locks nothing. Raises JM003 no task instance has this id.
-- ---------------------------------------------------------------------------
create or replace function jobmon._worker_node_task_instance(task_instance_id bigint)
returns jobmon.worker_node_task_instance_wire
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
    ti_id  constant bigint := _worker_node_task_instance.task_instance_id;
    result jobmon.worker_node_task_instance_wire;
begin
    select ti.id, ti.status, ti.workflow_run_id, t.id, t.name, t.command, t.workflow_id,
           r.requested_resources ->> 'stdout', r.requested_resources ->> 'stderr'
      into result
      from jobmon.task_instance ti
      join jobmon.task t on t.id = ti.task_id
      left join jobmon.task_resources r on r.id = ti.task_resources_id
     where ti.id = ti_id;
    if not found then
        raise exception 'TaskInstance id: % not found', ti_id
            using errcode = 'JM003',
                  hint = 'Nothing was read.';
    end if;
    return result;
end;
$$;
comment on function jobmon._worker_node_task_instance(bigint) is
    'Internal. The worker-node wire form of a task instance (see jobmon.worker_node_task_instance()). Raises JM003 not found.';

-- ---------------------------------------------------------------------------
-- jobmon.worker_node_task_instance(task_instance_id bigint)
--   returns jobmon.worker_node_task_instance_wire
--
-- One row: task_instance_id, status, workflow_run_id, task_id, name,
-- command, workflow_id, stdout, stderr; stdout and stderr are the keys of
-- the task instance's task resources' requested_resources (jsonb), NULL when
-- the key or the resources are missing.
-- Called by: the worker node (log_running returns the same form), readonly
-- tools. Locks nothing.
-- Raises: 22004 NULL id, JM003 no task instance has this id.
-- ---------------------------------------------------------------------------
create or replace function jobmon.worker_node_task_instance(task_instance_id bigint)
returns jobmon.worker_node_task_instance_wire
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
as $$
begin
    if worker_node_task_instance.task_instance_id is null then
        raise exception 'task_instance_id must not be NULL'
            using errcode = '22004',
                  hint = 'Nothing was read.';
    end if;
    return jobmon._worker_node_task_instance(worker_node_task_instance.task_instance_id);
end;
$$;
comment on function jobmon.worker_node_task_instance(bigint) is
    'The worker-node wire form of a task instance, in the reference model''s column order (task_instance_id, status, workflow_run_id, task_id, name, command, workflow_id, stdout, stderr); stdout/stderr come from the task resources'' requested_resources, NULL when missing. Locks nothing. Raises 22004 NULL id, JM003 not found.';

-- ---------------------------------------------------------------------------
-- jobmon.array_task_instance(array_id bigint, array_batch_num integer, array_step_id integer)
--   returns jobmon.worker_node_task_instance_wire
--
-- How an array worker finds its task instance: the worker-node wire form
-- (jobmon.worker_node_task_instance()) of the instance at (array, batch,
-- step), which the unique constraint ix_array_batch_index makes one row.
-- Called by: the worker node of an array job. Locks nothing.
-- Raises: 22004 NULL argument; JM003 no task instance at that step.
-- ---------------------------------------------------------------------------
create or replace function jobmon.array_task_instance(array_id bigint, array_batch_num integer, array_step_id integer)
returns jobmon.worker_node_task_instance_wire
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    arr_id    constant bigint := array_task_instance.array_id;
    batch_num constant integer := array_task_instance.array_batch_num;
    step      constant integer := array_task_instance.array_step_id;
    ti_id     bigint;
begin
    if arr_id is null or batch_num is null or step is null then
        raise exception '% must not be NULL',
            case when arr_id is null then 'array_id' when batch_num is null then 'array_batch_num'
                 else 'array_step_id' end
            using errcode = '22004',
                  hint = 'Nothing was read.';
    end if;
    select ti.id into ti_id
      from jobmon.task_instance ti
     where ti.array_id = arr_id and ti.array_batch_num = batch_num and ti.array_step_id = step;
    if ti_id is null then
        raise exception 'TaskInstance of array %, batch %, step % not found', arr_id, batch_num, step
            using errcode = 'JM003',
                  hint = 'Check the array id, batch number and step the cluster gave this job. Nothing was read.';
    end if;
    return jobmon.worker_node_task_instance(ti_id);
end;
$$;
comment on function jobmon.array_task_instance(bigint, integer, integer) is
    'How an array worker finds its task instance: the worker-node wire form of the instance at (array_id, array_batch_num, array_step_id). Locks nothing. Raises 22004 NULL argument, JM003 not found.';

-- ---------------------------------------------------------------------------
-- jobmon._check_usage(nodename, stdout, stderr, wallclock, maxrss, maxpss,
--     cpu, io, usage_str) returns void
--
-- Internal. Raises 22001 (naming the argument, not echoing it) when a usage
-- argument is longer than its column, or, for stdout_log and stderr_log
-- (text columns), than 65535 characters; called before anything is locked.
-- ---------------------------------------------------------------------------
create or replace function jobmon._check_usage(
    nodename text, stdout text, stderr text, stdout_log text, stderr_log text, wallclock text, maxrss text,
    maxpss text, cpu text, io text, usage_str text)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
    -- The widths of jobmon.task_instance's columns (migrations/0001_schema.sql),
    -- checked in one expression; the helpers below only say which one failed.
    if coalesce(length(nodename) > 150 or length(stdout) > 2048 or length(stderr) > 2048
                or length(stdout_log) > 65535 or length(stderr_log) > 65535 or length(wallclock) > 50 or length(maxrss) > 50 or length(maxpss) > 50 or length(cpu) > 50
                or length(io) > 50 or length(usage_str) > 250, false) is false then
        return;
    end if;
    perform jobmon._require_length('nodename', nodename, 150),
            jobmon._require_length('stdout', stdout, 2048),
            jobmon._require_length('stderr', stderr, 2048),
            jobmon._require_length('stdout_log', stdout_log, 65535),
            jobmon._require_length('stderr_log', stderr_log, 65535),
            jobmon._require_length('wallclock', wallclock, 50),
            jobmon._require_length('maxrss', maxrss, 50),
            jobmon._require_length('maxpss', maxpss, 50),
            jobmon._require_length('cpu', cpu, 50),
            jobmon._require_length('io', io, 50),
            jobmon._require_length('usage_str', usage_str, 250);
end;
$$;
comment on function jobmon._check_usage(text, text, text, text, text, text, text, text, text, text, text) is
    'Internal. Raises 22001 when a usage argument is longer than its column.';

-- ---------------------------------------------------------------------------
-- jobmon._usage(nodename, stdout, stderr, stdout_log, stderr_log, wallclock,
--     maxrss, maxpss, cpu, io, usage_str) returns jsonb
--
-- Internal. The usage columns of a report as the columns argument of
-- jobmon._transition_task_instance(): written with the move; a NULL argument
-- leaves its column as it is. Pure.
-- ---------------------------------------------------------------------------
create or replace function jobmon._usage(
    nodename text, stdout text, stderr text, stdout_log text, stderr_log text,
    wallclock text, maxrss text, maxpss text, cpu text, io text, usage_str text)
returns jsonb
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
    return jsonb_build_object('nodename', nodename, 'stdout', stdout, 'stderr', stderr,
                              'stdout_log', stdout_log, 'stderr_log', stderr_log, 'wallclock', wallclock,
                              'maxrss', maxrss, 'maxpss', maxpss, 'cpu', cpu, 'io', io, 'usage_str', usage_str);
end;
$$;
comment on function jobmon._usage(text, text, text, text, text, text, text, text, text, text, text) is
    'Internal. The usage columns of a report as jsonb, for jobmon._transition_task_instance().';

-- ---------------------------------------------------------------------------
-- jobmon.log_running(task_instance_id bigint, nodename text, process_group_id
--   integer, next_report_increment interval, distributor_id text default null)
--   returns jobmon.log_running_result
--
-- The worker node's job started. Decided from the status as locked:
--   R        -> nothing written, outcome 'unchanged' (a repeated report);
--   K        -> moved K -> F (the worker must stop), nothing else written;
--   X        -> moved X -> E, nothing else written;
--   I of a stale attempt (its task was queued again or reset) -> never
--      launched: moved I -> K -> F with an error-log row saying why,
--      outcome 'stale' (the worker must stop);
--   anything else -> moved to R by the rules (O -> R, I -> R when the worker
--      beat the distributor, T -> R); when applied, also writes nodename,
--      process_group_id (each only when not NULL), distributor_id (only
--      when none is recorded, jobmon._distributor_id_outcome()) and
--      report_by_date = clock_timestamp() + next_report_increment. A status with no
--      move to R raises JM001.
-- Returns the worker-node wire form after the call, outcome and the status
-- before; the worker runs the command only when status is R.
-- Called by: the worker node. Locks: the task, then the task instance.
-- Raises: 22004 NULL task_instance_id or next_report_increment; 22023
-- increment not positive or over 100 years, blank distributor_id; 22001
-- nodename (150) or distributor_id (20) too long; JM003 not found;
-- JM001/JM002 as jobmon.transition_task_instance().
-- ---------------------------------------------------------------------------
create or replace function jobmon.log_running(
    task_instance_id bigint, nodename text, process_group_id integer, next_report_increment interval,
    distributor_id text default null)
returns jobmon.log_running_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
as $$
declare
    ti_id   constant bigint := log_running.task_instance_id;
    locked  record;
    target  text;
    outcome text := 'unchanged';
    wire    jobmon.worker_node_task_instance_wire;
begin
    perform jobmon._require_interval('next_report_increment', next_report_increment, false),
            jobmon._require_length('nodename', nodename, 150),
            jobmon._require_distributor_id(distributor_id, true);
    locked := jobmon._lock_task_instance(ti_id);
    if locked.stale and locked.status = 'I' then
        -- Only a task's current attempt may be launched: a stale one is finished instead.
        perform jobmon._transition_task_instance(ti_id, 'K', null, 'log_running');
        perform jobmon._transition_task_instance(ti_id, 'F', null, 'log_running');
        outcome := 'stale';
    -- R is a repeat; so are F and E, which this route makes of K and X: a
    -- retried call finds them, changes nothing, and the worker stops.
    elsif locked.status not in ('R', 'F', 'E') then
        target := case locked.status when 'K' then 'F' when 'X' then 'E' else 'R' end;
        -- Running, the route's columns go with the move (NULL arguments leave them as they are).
        outcome := (jobmon._transition_task_instance(ti_id, target, case when target = 'R' then
            jsonb_build_object('nodename', nodename, 'process_group_id', process_group_id,
                               'distributor_id', case when jobmon._distributor_id_outcome(
                                   locked.distributor_id, distributor_id) = 'record' then distributor_id end,
                               'report_by_date', clock_timestamp() + next_report_increment)
            end, 'log_running')).outcome;
    end if;
    if outcome = 'stale' then
        perform jobmon._call_site_result(ti_id, outcome, locked.status, true,
            'A stale attempt (its task was reset or queued again): finished (I -> K -> F) instead of run.');
    end if;
    wire := jobmon._worker_node_task_instance(ti_id);
    return (wire.task_instance_id, wire.status, wire.workflow_run_id, wire.task_id, wire.name, wire.command,
            wire.workflow_id, wire.stdout, wire.stderr, outcome, locked.status)::jobmon.log_running_result;
end;
$$;
comment on function jobmon.log_running(bigint, text, integer, interval, text) is
    'The worker node''s job started: moves the task instance to R (O/I/T -> R; K -> F, X -> E and a stale attempt''s I -> K -> F instead, outcome ''stale'') and, when moved to R, writes nodename, process_group_id, distributor_id (when given and none is recorded) and report_by_date = clock_timestamp() + next_report_increment. A repeat (already R) changes nothing (outcome ''unchanged''). Returns the worker-node wire form, outcome and previous_status. Locks task, then task instance. Raises 22004, 22023, 22001, JM003, JM001, JM002. See docs/sql-api.md.';

-- ---------------------------------------------------------------------------
-- jobmon.log_heartbeat(task_instance_id bigint, next_report_increment interval)
--   returns jobmon.call_site_result
--
-- The worker node is alive. A live task instance (O, R, T) gets
-- report_by_date = clock_timestamp() + next_report_increment, and T comes back to R
-- (through the move, jobmon._transition_task_instance()); outcome 'applied'. Any other
-- status (not launched yet, finished, or told to die: K) is left alone,
-- outcome 'ignored'; the worker reads status and stops when it is K. No
-- other column is touched.
-- Called by: the worker node, every ~90 s. Locks: the task, then the task
-- instance.
-- Raises: 22004 NULL argument; 22023 increment not positive or over 100
-- years; JM003 not found.
-- ---------------------------------------------------------------------------
create or replace function jobmon.log_heartbeat(task_instance_id bigint, next_report_increment interval)
returns jobmon.call_site_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
as $$
declare
    ti_id   constant bigint := log_heartbeat.task_instance_id;
    locked  record;
    outcome text := 'ignored';
begin
    perform jobmon._require_interval('next_report_increment', next_report_increment, false);
    locked := jobmon._lock_task_instance(ti_id);
    if locked.status = any (jobmon._heartbeat_task_instance_statuses()) then  -- launched, running, triaging
        if locked.status = 'T' then  -- back to running, with the new deadline
            perform jobmon._transition_task_instance(ti_id, 'R',
                jsonb_build_object('report_by_date', clock_timestamp() + next_report_increment), 'log_heartbeat');
        else  -- report_by_date is in no index: a HOT update
            update jobmon.task_instance ti
               set report_by_date = clock_timestamp() + next_report_increment
             where ti.id = ti_id;
        end if;
        outcome := 'applied';
    end if;
    return jobmon._call_site_result(ti_id, outcome, locked.status, locked.stale, null::text);
end;
$$;
comment on function jobmon.log_heartbeat(bigint, interval) is
    'The worker node''s heartbeat: a live task instance (O, R, T) gets report_by_date = clock_timestamp() + next_report_increment and T comes back to R (outcome ''applied''); any other status is left alone (outcome ''ignored''). Touches no other column. Returns the status, so a worker in K learns it must stop. Locks task, then task instance. Raises 22004, 22023, JM003. See docs/sql-api.md.';

-- ---------------------------------------------------------------------------
-- jobmon.log_done(task_instance_id bigint, nodename, stdout, stderr,
--   stdout_log, stderr_log, wallclock, maxrss, maxpss, cpu, io, usage_str
--   text default null) returns jobmon.call_site_result
--
-- The worker node's job finished. Already D: nothing written, outcome
-- 'unchanged'. Else asks for the move to D (R -> D; K -> D when a resumed
-- run let it finish; U -> D is untimely: nothing written); when applied,
-- writes every usage argument that is not NULL.
-- Called by: the worker node. Locks: the task, then the task instance.
-- Raises: 22004 NULL id; 22001 a usage argument longer than its column;
-- JM003 not found; JM001/JM002 as jobmon.transition_task_instance().
-- ---------------------------------------------------------------------------
create or replace function jobmon.log_done(
    task_instance_id bigint,
    nodename text default null, stdout text default null, stderr text default null,
    stdout_log text default null, stderr_log text default null, wallclock text default null,
    maxrss text default null, maxpss text default null, cpu text default null, io text default null,
    usage_str text default null)
returns jobmon.call_site_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
as $$
declare
    ti_id   constant bigint := log_done.task_instance_id;
    locked  record;
    outcome text := 'unchanged';
begin
    perform jobmon._check_usage(nodename, stdout, stderr, stdout_log, stderr_log, wallclock, maxrss, maxpss, cpu, io,
                                usage_str);
    locked := jobmon._lock_task_instance(ti_id);
    if locked.status <> 'D' then
        outcome := (jobmon._transition_task_instance(ti_id, 'D', jobmon._usage(
            nodename, stdout, stderr, stdout_log, stderr_log, wallclock, maxrss, maxpss, cpu, io, usage_str),
            'log_done')).outcome;
    end if;
    return jobmon._call_site_result(ti_id, outcome, locked.status, locked.stale, null::text);
end;
$$;
comment on function jobmon.log_done(bigint, text, text, text, text, text, text, text, text, text, text, text) is
    'The worker node''s job finished: moves the task instance to D and, when applied, writes every usage argument that is not NULL (nodename, stdout, stderr, stdout_log, stderr_log, wallclock, maxrss, maxpss, cpu, io, usage_str). Already D: outcome ''unchanged''; untimely (U -> D): nothing written. Locks task, then task instance. Raises 22004, 22001, JM003, JM001, JM002. See docs/sql-api.md.';

-- ---------------------------------------------------------------------------
-- jobmon.log_error(task_instance_id bigint, error_state text, description
--   text, nodename ... usage_str text default null)
--   returns jobmon.call_site_result
--
-- An error report of the worker node or the reconciler: error_state is E
-- (application error), Z (resource error), U (unknown error) or F (fatal).
-- Already in error_state: nothing written, outcome 'unchanged' (a retried
-- report adds no second error-log row). From T, when the rules have no move
-- from T to error_state, it first comes back to R, then moves R ->
-- error_state (both through jobmon._transition_task_instance()). When the move
-- is applied: the usage arguments that are not NULL are written and exactly
-- one task_instance_error_log row is added (error_log_id in the result). An
-- untimely move writes nothing.
-- Called by: the worker node, the distributor's reconciler. Locks: the task,
-- then the task instance.
-- Raises: 22004 NULL id, error_state or description; 22023 error_state not
-- one of E, Z, U, F; 22001 a usage argument too long; JM003 not found;
-- JM001/JM002 as jobmon.transition_task_instance().
-- ---------------------------------------------------------------------------
create or replace function jobmon.log_error(
    task_instance_id bigint, error_state text, description text,
    nodename text default null, stdout text default null, stderr text default null,
    stdout_log text default null, stderr_log text default null, wallclock text default null,
    maxrss text default null, maxpss text default null, cpu text default null, io text default null,
    usage_str text default null)
returns jobmon.call_site_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
as $$
declare
    ti_id   constant bigint := log_error.task_instance_id;
    locked  record;
    outcome text := 'unchanged';
begin
    if error_state is null then
        raise exception 'error_state must not be NULL'
            using errcode = '22004', hint = 'Pass E, Z, U or F. Nothing was changed.';
    end if;
    if error_state <> all (jobmon._error_task_instance_statuses()) then
        raise exception 'Unknown error_state: %', quote_literal(jobmon._cut(error_state))
            using errcode = '22023',
                  detail = 'Error states: ' || jobmon.describe_statuses(jobmon._error_task_instance_statuses()) || '.',
                  hint = 'Nothing was changed.';
    end if;
    perform jobmon._require_description(description),
            jobmon._check_usage(nodename, stdout, stderr, stdout_log, stderr_log, wallclock, maxrss, maxpss, cpu, io,
                                usage_str);
    locked := jobmon._lock_task_instance(ti_id);
    if locked.status <> error_state then
        if locked.status = 'T' and not exists (select 1 from jobmon.task_instance_transition r
                                                where r.from_status = 'T' and r.to_status = error_state) then
            perform jobmon._transition_task_instance(ti_id, 'R', null, 'log_error');
        end if;
        outcome := (jobmon._transition_task_instance(ti_id, error_state, jobmon._usage(
            nodename, stdout, stderr, stdout_log, stderr_log, wallclock, maxrss, maxpss, cpu, io, usage_str),
            'log_error')).outcome;
    end if;
    -- The error-log row only for an applied move (a repeat or an untimely report adds none).
    return jobmon._call_site_result(ti_id, outcome, locked.status, locked.stale,
                                    case when outcome = 'applied' then description end);
end;
$$;
comment on function jobmon.log_error(bigint, text, text, text, text, text, text, text, text, text, text, text, text, text) is
    'An error report (worker node or reconciler): moves the task instance to error_state (E, Z, U or F; from T through R when the rules require it) and, when applied, writes the non-NULL usage arguments and adds exactly one task_instance_error_log row. Already in error_state: outcome ''unchanged'', nothing written; untimely: nothing written. Locks task, then task instance. Raises 22004, 22023, 22001, JM003, JM001, JM002. See docs/sql-api.md.';
