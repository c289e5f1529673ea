-- The jobmon schema as a fresh `jobmon-db migrate` makes it. Generated: python -m jobmon_db.schema_dump

--
-- PostgreSQL database dump
--

--
-- Name: jobmon; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA jobmon;

--
-- Name: SCHEMA jobmon; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA jobmon IS 'jobmon-db: the Jobmon task and task-instance state machines. Call jobmon.transition_task_instance() to move a task instance; see docs/sql-api.md.';

--
-- Name: array_distributor_id_result; Type: TYPE; Schema: jobmon; Owner: -
--

CREATE TYPE jobmon.array_distributor_id_result AS (
	array_step_id integer,
	task_instance_id bigint,
	outcome text,
	status text,
	distributor_id text
);

--
-- Name: TYPE array_distributor_id_result; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TYPE jobmon.array_distributor_id_result IS 'One row of jobmon.log_array_distributor_ids() per requested step: outcome applied, unchanged, skipped (not O or R), invalid (NULL or too long id), conflict (the step was given two ids), not_found; distributor_id as it is after the call.';

--
-- Name: call_site_result; Type: TYPE; Schema: jobmon; Owner: -
--

CREATE TYPE jobmon.call_site_result AS (
	task_instance_id bigint,
	task_id bigint,
	outcome text,
	previous_status text,
	status text,
	task_status text,
	stale boolean,
	status_date timestamp with time zone,
	report_by_date timestamp with time zone,
	distributor_id text,
	error_log_id bigint
);

--
-- Name: TYPE call_site_result; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TYPE jobmon.call_site_result IS 'Result of the call-site functions (log_heartbeat, log_done, log_error, log_unknown_error, log_distributor_id, log_no_distributor_id): outcome (see docs/sql-api.md), the task instance''s status before and after, its task''s status after, stale = true for an attempt its task has left behind, the task instance''s dates and distributor id after the call, and the id of the error-log row the call added (NULL when none).';

--
-- Name: distributor_task_instance_wire; Type: TYPE; Schema: jobmon; Owner: -
--

CREATE TYPE jobmon.distributor_task_instance_wire AS (
	task_instance_id bigint,
	task_id bigint,
	workflow_run_id bigint,
	workflow_id bigint,
	status text,
	distributor_id text,
	task_resources_id bigint,
	array_id bigint,
	array_batch_num integer,
	array_step_id integer
);

--
-- Name: TYPE distributor_task_instance_wire; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TYPE jobmon.distributor_task_instance_wire IS 'A task instance as the distributor sees it, in the reference model''s order (to_wire_as_distributor_task_instance).';

--
-- Name: heartbeat_result; Type: TYPE; Schema: jobmon; Owner: -
--

CREATE TYPE jobmon.heartbeat_result AS (
	task_instance_id bigint,
	outcome text,
	status text,
	report_by_date timestamp with time zone
);

--
-- Name: TYPE heartbeat_result; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TYPE jobmon.heartbeat_result IS 'One row of jobmon.log_heartbeats() per requested id: outcome applied (report_by_date pushed) or skipped (not in O, nothing written) or not_found; report_by_date as it is after the call.';

--
-- Name: instantiated_task_instance; Type: TYPE; Schema: jobmon; Owner: -
--

CREATE TYPE jobmon.instantiated_task_instance AS (
	task_instance_id bigint,
	task_id bigint,
	workflow_run_id bigint,
	workflow_id bigint,
	status text,
	distributor_id text,
	task_resources_id bigint,
	array_id bigint,
	array_batch_num integer,
	array_step_id integer,
	outcome text
);

--
-- Name: TYPE instantiated_task_instance; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TYPE jobmon.instantiated_task_instance IS 'One row of jobmon.instantiate_task_instances() per requested id: the distributor wire form (jobmon.distributor_task_instance_wire, same columns in the same order) as it is after the call, plus the outcome of the move to I.';

--
-- Name: launched_task_instance; Type: TYPE; Schema: jobmon; Owner: -
--

CREATE TYPE jobmon.launched_task_instance AS (
	task_instance_id bigint,
	task_id bigint,
	array_step_id integer,
	outcome text,
	previous_status text,
	status text,
	task_previous_status text,
	task_status text,
	stale boolean,
	submitted_date timestamp with time zone,
	report_by_date timestamp with time zone
);

--
-- Name: TYPE launched_task_instance; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TYPE jobmon.launched_task_instance IS 'One row of jobmon.launch_array_batch() per task instance of the batch: the outcome of the move to O, the statuses before and after, and the dates as they are after the call.';

--
-- Name: log_running_result; Type: TYPE; Schema: jobmon; Owner: -
--

CREATE TYPE jobmon.log_running_result AS (
	task_instance_id bigint,
	status text,
	workflow_run_id bigint,
	task_id bigint,
	name text,
	command text,
	workflow_id bigint,
	stdout text,
	stderr text,
	outcome text,
	previous_status text
);

--
-- Name: TYPE log_running_result; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TYPE jobmon.log_running_result IS 'Result of jobmon.log_running(): the worker-node wire form after the call, then outcome (''applied'' or ''unchanged'') and the status before the call. The worker runs the command only when status is R.';

--
-- Name: queue_task_batch_result; Type: TYPE; Schema: jobmon; Owner: -
--

CREATE TYPE jobmon.queue_task_batch_result AS (
	task_id bigint,
	outcome text,
	task_status text,
	num_attempts integer,
	task_instance_id bigint,
	array_batch_num integer,
	array_step_id integer
);

--
-- Name: TYPE queue_task_batch_result; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TYPE jobmon.queue_task_batch_result IS 'One row of jobmon.queue_task_batch() per requested task: outcome applied (queued now: task_instance_id, array_batch_num and array_step_id name its new task instance), skipped (not in G or A: task_status says where it is), invalid (the rule table refuses the move to Q), wrong_array (the task belongs to another array), not_found.';

--
-- Name: task_instance_move_result; Type: TYPE; Schema: jobmon; Owner: -
--

CREATE TYPE jobmon.task_instance_move_result AS (
	task_instance_id bigint,
	task_id bigint,
	outcome text,
	previous_status text,
	status text,
	task_previous_status text,
	task_status text,
	task_num_attempts integer,
	stale boolean
);

--
-- Name: TYPE task_instance_move_result; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TYPE jobmon.task_instance_move_result IS 'One row of jobmon._move_task_instances(): a task instance''s outcome in a set-based move, its statuses and its task''s before and after. Used inside the functions only.';

--
-- Name: task_instance_transition_result; Type: TYPE; Schema: jobmon; Owner: -
--

CREATE TYPE jobmon.task_instance_transition_result AS (
	task_instance_id bigint,
	task_id bigint,
	outcome text,
	previous_status text,
	status text,
	task_previous_status text,
	task_status text,
	task_num_attempts integer,
	status_date timestamp with time zone,
	stale boolean
);

--
-- Name: TYPE task_instance_transition_result; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TYPE jobmon.task_instance_transition_result IS 'Result of a task-instance move: outcome is ''applied'' or ''untimely''; statuses are the codes before and after (equal when untimely); status_date is the task instance''s; stale is true when the task instance is an attempt its task has left behind, so the move did not cascade to the task.';

--
-- Name: worker_node_task_instance_wire; Type: TYPE; Schema: jobmon; Owner: -
--

CREATE TYPE jobmon.worker_node_task_instance_wire AS (
	task_instance_id bigint,
	status text,
	workflow_run_id bigint,
	task_id bigint,
	name text,
	command text,
	workflow_id bigint,
	stdout text,
	stderr text
);

--
-- Name: TYPE worker_node_task_instance_wire; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TYPE jobmon.worker_node_task_instance_wire IS 'A task instance as the worker node sees it, in the reference model''s order (to_wire_as_worker_node_task_instance); stdout and stderr are the keys of the task resources'' requested_resources (NULL when missing).';

--
-- Name: _array_id_task_instance_statuses(); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._array_id_task_instance_statuses() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ select array['O', 'R'] $$;

--
-- Name: FUNCTION _array_id_task_instance_statuses(); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._array_id_task_instance_statuses() IS 'Internal. The task-instance statuses on which log_array_distributor_ids() records a job id (O, R).';

--
-- Name: _attempts_left(integer, integer); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._attempts_left(num_attempts integer, max_attempts integer) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ select num_attempts operator(pg_catalog.<) max_attempts $$;

--
-- Name: FUNCTION _attempts_left(num_attempts integer, max_attempts integer); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._attempts_left(num_attempts integer, max_attempts integer) IS 'Internal. Whether a task with num_attempts of max_attempts may be tried again (num_attempts < max_attempts).';

--
-- Name: _call_site_result(bigint, text, text, boolean, text); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._call_site_result(task_instance_id bigint, outcome text, previous_status text, stale boolean, error_description text) RETURNS jobmon.call_site_result
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION _call_site_result(task_instance_id bigint, outcome text, previous_status text, stale boolean, error_description text); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._call_site_result(task_instance_id bigint, outcome text, previous_status text, stale boolean, error_description text) IS 'Internal. The jobmon.call_site_result of a call: the task instance and its task as they are now, with the call''s outcome; with an error_description, adds the error-log row of an applied error move first (same statement).';

--
-- Name: _check_usage(text, text, text, text, text, text, text, text, text); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._check_usage(nodename text, stdout text, stderr text, wallclock text, maxrss text, maxpss text, cpu text, io text, usage_str text) RETURNS void
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    select jobmon._check_usage(nodename, stdout, stderr, null, null, wallclock, maxrss, maxpss, cpu, io, usage_str)
$$;

--
-- Name: FUNCTION _check_usage(nodename text, stdout text, stderr text, wallclock text, maxrss text, maxpss text, cpu text, io text, usage_str text); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._check_usage(nodename text, stdout text, stderr text, wallclock text, maxrss text, maxpss text, cpu text, io text, usage_str text) IS 'Internal, for calls of release 0.1.0 in flight during an upgrade: jobmon._check_usage() with no stdout_log and stderr_log. Removed in 0.3.0.';

--
-- Name: _check_usage(text, text, text, text, text, text, text, text, text, text, text); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._check_usage(nodename text, stdout text, stderr text, stdout_log text, stderr_log text, wallclock text, maxrss text, maxpss text, cpu text, io text, usage_str text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION _check_usage(nodename text, stdout text, stderr text, stdout_log text, stderr_log text, wallclock text, maxrss text, maxpss text, cpu text, io text, usage_str text); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._check_usage(nodename text, stdout text, stderr text, stdout_log text, stderr_log text, wallclock text, maxrss text, maxpss text, cpu text, io text, usage_str text) IS 'Internal. Raises 22001 when a usage argument is longer than its column.';

--
-- Name: _cut(text); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._cut(value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    select case when pg_catalog.length(value) operator(pg_catalog.>) 200
                then pg_catalog.concat(pg_catalog.left(value, 200), '... (',
                                       pg_catalog.length(value), ' characters)')
                else value end
$$;

--
-- Name: FUNCTION _cut(value text); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._cut(value text) IS 'Internal. Caller input cut to at most 200 characters (then "... (N characters)") for quoting in an error message.';

--
-- Name: _distributor_id_outcome(text, text); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._distributor_id_outcome(recorded text, given text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    select case when recorded is null then 'record'
                when recorded operator(pg_catalog.=) given then 'unchanged'
                else 'ignored' end
$$;

--
-- Name: FUNCTION _distributor_id_outcome(recorded text, given text); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._distributor_id_outcome(recorded text, given text) IS 'Internal. Recording a distributor id: ''record'' (none recorded), ''unchanged'' (the same) or ''ignored'' (another one is kept).';

--
-- Name: _ensure_trigger(regclass, name, text); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._ensure_trigger(on_table regclass, trigger_name name, definition text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    current text := (select pg_get_triggerdef(t.oid) from pg_trigger t
                      where t.tgrelid = on_table and t.tgname = trigger_name);
begin
    if current is not distinct from definition then
        return;
    end if;
    if current is not null then
        execute format('drop trigger %I on %s', trigger_name, on_table);
    end if;
    if definition is not null then
        execute definition;
    end if;
end;
$$;

--
-- Name: FUNCTION _ensure_trigger(on_table regclass, trigger_name name, definition text); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._ensure_trigger(on_table regclass, trigger_name name, definition text) IS 'Internal. Creates, replaces or (definition NULL) drops a trigger only when it differs from the definition given, so re-applying a file takes no table lock.';

--
-- Name: _error_task_instance_statuses(); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._error_task_instance_statuses() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ select array['E', 'Z', 'U', 'F'] $$;

--
-- Name: FUNCTION _error_task_instance_statuses(); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._error_task_instance_statuses() IS 'Internal. The task-instance statuses an error report may ask for (E, Z, U, F).';

--
-- Name: _feed_cluster_tag(); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._feed_cluster_tag() RETURNS bigint
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    select ((((pg_control_system()).system_identifier % 524287) + 524287) % 524287 + 1) * 17592186044416;
$$;

--
-- Name: FUNCTION _feed_cluster_tag(); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._feed_cluster_tag() IS 'Internal. This cluster''s part of a jobmon.task_status_changes() cursor: 1 .. 2^19 - 1 from pg_control_system().system_identifier, times 2^44.';

--
-- Name: _heartbeat_task_instance_statuses(); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._heartbeat_task_instance_statuses() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ select array['O', 'R', 'T'] $$;

--
-- Name: FUNCTION _heartbeat_task_instance_statuses(); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._heartbeat_task_instance_statuses() IS 'Internal. The task-instance statuses a worker heartbeat pushes (O, R, T).';

--
-- Name: _launched_task_instance_statuses(); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._launched_task_instance_statuses() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ select array['O', 'R', 'T', 'X', 'K'] $$;

--
-- Name: FUNCTION _launched_task_instance_statuses(); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._launched_task_instance_statuses() IS 'Internal. The task-instance statuses launched and not finished (O, R, T, X, K): where log_distributor_id() records a missing job id.';

--
-- Name: _live_task_instance_statuses(); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._live_task_instance_statuses() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ select array['Q', 'I', 'O', 'R', 'T', 'X', 'K'] $$;

--
-- Name: FUNCTION _live_task_instance_statuses(); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._live_task_instance_statuses() IS 'Internal. The live task-instance statuses (Q, I, O, R, T, X, K): those with a valid move out, the predicate of ix_task_instance_live_by_run.';

--
-- Name: _lock_task_instance(bigint); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._lock_task_instance(task_instance_id bigint, OUT status text, OUT task_id bigint, OUT task_status text, OUT stale boolean, OUT report_by_date timestamp with time zone, OUT distributor_id text) RETURNS record
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION _lock_task_instance(task_instance_id bigint, OUT status text, OUT task_id bigint, OUT task_status text, OUT stale boolean, OUT report_by_date timestamp with time zone, OUT distributor_id text); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._lock_task_instance(task_instance_id bigint, OUT status text, OUT task_id bigint, OUT task_status text, OUT stale boolean, OUT report_by_date timestamp with time zone, OUT distributor_id text) IS 'Internal. Locks the task (FOR NO KEY UPDATE), which holds its task instances, and returns the task instance''s status, report_by_date and distributor_id and its task''s id and status as locked. Raises 22004 NULL id, JM003 not found.';

--
-- Name: _lock_tasks(bigint[], boolean); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._lock_tasks(task_ids bigint[], skip_locked boolean DEFAULT false) RETURNS bigint[]
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION _lock_tasks(task_ids bigint[], skip_locked boolean); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._lock_tasks(task_ids bigint[], skip_locked boolean) IS 'Internal. Locks the tasks of task_ids FOR NO KEY UPDATE in ascending id order (with skip_locked, passing over those others hold) and returns the ids locked, ascending (NULL: none). The lock order of every function: tasks before task instances, ascending id.';

--
-- Name: _may_reset(text); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._may_reset(status text) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    select status = 'G' or exists (select 1 from jobmon.task_transition r
                                    where r.kind = 'resume' and r.from_status = _may_reset.status and r.to_status = 'G');
$$;

--
-- Name: FUNCTION _may_reset(status text); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._may_reset(status text) IS 'Internal. Whether the reset move (the ''resume'' rows of jobmon.task_transition) takes a task in this status to G.';

--
-- Name: _move_task_instances(bigint[], text, text[], text[], timestamp with time zone, boolean, text); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._move_task_instances(task_instance_ids bigint[], new_status text, from_statuses text[] DEFAULT NULL::text[], task_statuses text[] DEFAULT NULL::text[], report_by_date timestamp with time zone DEFAULT NULL::timestamp with time zone, set_submitted_date boolean DEFAULT false, function_name text DEFAULT NULL::text) RETURNS TABLE(task_instance_id bigint, task_id bigint, outcome text, previous_status text, status text, task_previous_status text, task_status text, task_num_attempts integer, stale boolean)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION _move_task_instances(task_instance_ids bigint[], new_status text, from_statuses text[], task_statuses text[], report_by_date timestamp with time zone, set_submitted_date boolean, function_name text); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._move_task_instances(task_instance_ids bigint[], new_status text, from_statuses text[], task_statuses text[], report_by_date timestamp with time zone, set_submitted_date boolean, function_name text) IS 'Internal. Moves many task instances to one status by the rules of jobmon.task_instance_move, cascading like transition_task_instance() and writing the history credited to function_name; one row per requested id with its outcome (applied, unchanged, untimely, invalid, refused, skipped, conflict, not_found). Locks the tasks in id order first.';

--
-- Name: _privileges(); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._privileges() RETURNS TABLE(object_kind text, object_name text, column_name text, actor text, privilege text)
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- Functions, by the actor that calls them. app may call every one; an
    -- actor role gets its routes and reads only (the generic move,
    -- transition_task_instance, is app's alone: with it any valid move of any
    -- instance could be made).
    select 'function', f.name, null, a.actor, 'EXECUTE'
      from (values
        ('transition_task_instance',   array[]::text[]),
        -- the worker node
        ('log_running',                array['worker_node']),
        ('log_heartbeat',              array['worker_node']),
        ('log_done',                   array['worker_node']),
        ('log_error',                  array['worker_node', 'distributor']),
        ('worker_node_task_instance',  array['worker_node', 'readonly']),
        ('array_task_instance',        array['worker_node', 'readonly']),
        -- the distributor (and its reconciler)
        ('distributor_task_instances', array['distributor', 'readonly']),
        ('instantiate_task_instances', array['distributor']),
        ('launch_array_batch',         array['distributor']),
        ('log_distributor_id',         array['distributor']),
        ('log_no_distributor_id',      array['distributor']),
        ('log_array_distributor_ids',  array['distributor']),
        ('log_heartbeats',             array['distributor']),
        ('log_unknown_error',          array['distributor']),
        ('kill_task_instances',        array['distributor']),
        -- the swarm
        ('queue_task_batch',           array['swarm']),
        ('triage_overdue',             array['swarm']),
        ('terminate_workflow_run',     array['swarm']),
        ('reset_tasks_for_resume',     array['swarm']),
        ('task_status_changes',        array['swarm', 'readonly']),
        -- the server's task binding
        ('bind_tasks',                 array[]::text[]),
        -- reading the history
        ('task_instance_history',      array['readonly']),
        ('history_enabled',            array['readonly']),
        -- `jobmon-db status`
        ('derived_rules_drift',        array['readonly']),
        -- the helpers that read the rules (docs/sql-api.md, "Helper functions")
        ('task_moves_on_entering',     array['readonly']),
        ('require_task_instance_status', array['readonly']),
        ('describe_statuses',          array['readonly']),
        ('describe_task_instance_transitions_from', array['readonly'])
      ) f(name, actors)
     cross join lateral unnest(f.actors || array['app']) a(actor)
    union all
    -- Every table can be read by app and readonly.
    select 'table', c.relname, null, r.actor, 'SELECT'
      from pg_class c cross join (values ('app'), ('readonly')) r(actor)
     where c.relnamespace = 'jobmon'::regnamespace and c.relkind = 'r'
    union all
    -- app registers workflows and their parent rows ...
    select 'table', t.name, null, 'app', p.privilege
      from (values ('workflow'), ('workflow_run'), ('task_resources')) t(name)
     cross join (values ('INSERT'), ('UPDATE')) p(privilege)
    union all
    -- ... arrays, whose batch counter (next_batch_num) only queue_task_batch writes
    -- (the last three columns are upstream Jobmon's, migration 0007) ...
    select 'table', 'array', c.name, 'app', p.privilege
      from (values ('workflow_id'), ('name'), ('task_template_version_id'), ('max_concurrently_running'),
                   ('created_date')) c(name)
     cross join (values ('INSERT'), ('UPDATE')) p(privilege)
    union all
    -- ... and tasks, which start in G with no attempts (status, status_date,
    -- num_attempts and current_attempt_from keep their defaults).
    select 'table', 'task', c.name, 'app', 'INSERT'
      from (values ('workflow_id'), ('node_id'), ('task_args_hash'), ('array_id'), ('name'), ('command'),
                   ('task_resources_id'), ('max_attempts'), ('resource_scales'), ('fallback_queues')) c(name)
$$;

--
-- Name: FUNCTION _privileges(); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._privileges() IS 'Internal. The grants of the schema by actor (jobmon.deployment_role); anything not listed is the owner''s alone.';

--
-- Name: _queueable_task_statuses(); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._queueable_task_statuses() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ select array['G', 'A'] $$;

--
-- Name: FUNCTION _queueable_task_statuses(); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._queueable_task_statuses() IS 'Internal. The task statuses the swarm queues from (G, A).';

--
-- Name: _refresh_derived_rules(); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._refresh_derived_rules() RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    target record;
    drift  text[] := array(select jobmon.derived_rules_drift());
begin
    for target in
        select * from (values ('jobmon.task_instance'::regclass, 'jobmon.task_instance_status'::regclass,
                               'task_instance_status_code'),
                              ('jobmon.task'::regclass, 'jobmon.task_status'::regclass, 'task_status_code'))
                      v(tab, lookup, name)
         where format('%s constraint %s', v.tab, v.name) = any(drift)
    loop
        execute format('alter table %s drop constraint if exists %I, add constraint %I %s',
                       target.tab, target.name, target.name, jobmon._status_check(target.lookup));
    end loop;

    if 'jobmon.task_instance_move' = any(drift) then
        delete from jobmon.task_instance_move;
        insert into jobmon.task_instance_move select * from jobmon._task_instance_moves_from_rules();
        -- Statistics now, so that the functions' generic plans read it by its key.
        analyze jobmon.task_instance_move;
    end if;
end;
$$;

--
-- Name: FUNCTION _refresh_derived_rules(); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._refresh_derived_rules() IS 'Internal. Regenerates what jobmon.derived_rules_drift() names (the status CHECKs, jobmon.task_instance_move) from the lookup tables.';

--
-- Name: _refresh_derived_rules_trigger(); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._refresh_derived_rules_trigger() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
    perform jobmon._refresh_derived_rules();
    return null;
end;
$$;

--
-- Name: FUNCTION _refresh_derived_rules_trigger(); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._refresh_derived_rules_trigger() IS 'Internal. Statement trigger on the lookup tables: keeps what is derived from them equal to them.';

--
-- Name: _refuse_task_change(); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._refuse_task_change() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
    if new.task_id is distinct from old.task_id then
        raise exception 'TaskInstance id: % belongs to Task id: %; it cannot move to another task', old.id, old.task_id
            using errcode = '55000',
                  hint = 'Queue a new task instance for the other task instead.';
    end if;
    return new;
end;
$$;

--
-- Name: FUNCTION _refuse_task_change(); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._refuse_task_change() IS 'Internal. Trigger: a task instance never changes task (the lock order relies on it).';

--
-- Name: _require_batch_size(text, integer); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._require_batch_size(argument text, elements integer) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
    if elements > 1000000 then
        raise exception '% has % elements, at most 1000000 are accepted in one call', argument, elements
            using errcode = '54000',
                  hint = 'Split the batch into calls of at most 1000000 ids. Nothing was changed.';
    end if;
end;
$$;

--
-- Name: FUNCTION _require_batch_size(argument text, elements integer); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._require_batch_size(argument text, elements integer) IS 'Internal. Raises 54000 when an array argument has more than 1000000 elements (the per-call limit of the set-based functions).';

--
-- Name: _require_description(text); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._require_description(description text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
    if description is null then
        raise exception 'description must not be NULL'
            using errcode = '22004', hint = 'Pass the error message ('''' when there is none). Nothing was changed.';
    end if;
    perform jobmon._require_length('description', description, 65535);
end;
$$;

--
-- Name: FUNCTION _require_description(description text); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._require_description(description text) IS 'Internal. Raises 22004 when an error report''s description is NULL, 22001 when it is longer than 65535 characters.';

--
-- Name: _require_distributor_id(text, boolean); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._require_distributor_id(distributor_id text, may_be_null boolean) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
    if jobmon._usable_distributor_id(distributor_id) or (distributor_id is null and may_be_null) then
        return;
    end if;
    if distributor_id is null then
        raise exception 'distributor_id must not be NULL'
            using errcode = '22004', hint = 'Submission failed? Call jobmon.log_no_distributor_id(). Nothing was changed.';
    end if;
    perform jobmon._require_length('distributor_id', distributor_id, 20);
    raise exception 'distributor_id must not be blank'
        using errcode = '22023', hint = 'Pass the job id the cluster gave. Nothing was changed.';
end;
$$;

--
-- Name: FUNCTION _require_distributor_id(distributor_id text, may_be_null boolean); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._require_distributor_id(distributor_id text, may_be_null boolean) IS 'Internal. Raises 22004 (NULL, unless may_be_null), 22023 (blank) or 22001 (over 20 characters) unless jobmon._usable_distributor_id() accepts the id.';

--
-- Name: _require_found(text, text, text, bigint, boolean); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._require_found(table_name text, model text, not_found_errcode text, id bigint, row_exists boolean) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION _require_found(table_name text, model text, not_found_errcode text, id bigint, row_exists boolean); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._require_found(table_name text, model text, not_found_errcode text, id bigint, row_exists boolean) IS 'Internal. Raises 22004 for a NULL id of a jobmon.<table_name> row and not_found_errcode (''<model> id: <id> not found'') when row_exists is false.';

--
-- Name: _require_interval(text, interval); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._require_interval(argument text, value interval) RETURNS void
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    select jobmon._require_interval(argument, value, false)
$$;

--
-- Name: FUNCTION _require_interval(argument text, value interval); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._require_interval(argument text, value interval) IS 'Internal, for calls of release 0.1.0 in flight during an upgrade: jobmon._require_interval(argument, value, false). Removed in 0.3.0.';

--
-- Name: _require_interval(text, interval, boolean); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._require_interval(argument text, value interval, may_be_zero boolean) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
    if value is null then
        raise exception '% must not be NULL', argument
            using errcode = '22004', hint = 'Pass an interval such as ''279 seconds''. Nothing was changed.';
    end if;
    if may_be_zero and value < interval '0' then
        raise exception '% must not be negative: %', argument, jobmon._cut(justify_interval(value)::text)
            using errcode = '22023', hint = 'Nothing was changed.';
    end if;
    if not may_be_zero and value <= interval '0' then
        raise exception '% must be positive, not %', argument, jobmon._cut(justify_interval(value)::text)
            using errcode = '22023',
                  hint = 'Pass how long the instances may go without a heartbeat, for example ''279 seconds''. Nothing was changed.';
    end if;
    if value > interval '100 years' then
        raise exception '% must be at most 100 years, not %', argument, jobmon._cut(justify_interval(value)::text)
            using errcode = '22023', hint = 'Nothing was changed.';
    end if;
end;
$$;

--
-- Name: FUNCTION _require_interval(argument text, value interval, may_be_zero boolean); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._require_interval(argument text, value interval, may_be_zero boolean) IS 'Internal. Raises 22004 for a NULL interval argument, 22023 for one not positive (negative when may_be_zero) or longer than 100 years.';

--
-- Name: _require_length(text, text, integer); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._require_length(argument text, value text, max_length integer) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
    if length(value) > max_length then
        raise exception '% is too long: % characters, at most % are stored', argument, length(value), max_length
            using errcode = '22001', hint = 'Nothing was changed.';
    end if;
end;
$$;

--
-- Name: FUNCTION _require_length(argument text, value text, max_length integer); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._require_length(argument text, value text, max_length integer) IS 'Internal. Raises 22001 (naming the argument, not echoing it) when value is longer than max_length characters.';

--
-- Name: _require_workflow(bigint); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._require_workflow(workflow_id bigint) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
    perform jobmon._require_found('workflow', 'Workflow', 'JM011', workflow_id,
        exists (select 1 from jobmon.workflow w where w.id = _require_workflow.workflow_id));
end;
$$;

--
-- Name: FUNCTION _require_workflow(workflow_id bigint); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._require_workflow(workflow_id bigint) IS 'Internal. Raises 22004 for a NULL workflow id and JM011 when no workflow has it.';

--
-- Name: _require_workflow_run(bigint); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._require_workflow_run(workflow_run_id bigint) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
    perform jobmon._require_found('workflow_run', 'WorkflowRun', 'JM010', workflow_run_id,
        exists (select 1 from jobmon.workflow_run r where r.id = _require_workflow_run.workflow_run_id));
end;
$$;

--
-- Name: FUNCTION _require_workflow_run(workflow_run_id bigint); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._require_workflow_run(workflow_run_id bigint) IS 'Internal. Raises 22004 for a NULL workflow run id and JM010 when no workflow run has it.';

--
-- Name: _resets_on_resume(text, boolean); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._resets_on_resume(status text, reset_running boolean) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    select status <> 'D' and (reset_running or status <> 'R');
$$;

--
-- Name: FUNCTION _resets_on_resume(status text, reset_running boolean); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._resets_on_resume(status text, reset_running boolean) IS 'Internal. Whether a resume or a rebind resets a task in this status: not D, and R only when reset_running.';

--
-- Name: _secure_schema(); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._secure_schema() RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    owner_role name := (select r.role_name from jobmon.deployment_role r where r.actor = 'owner');
    all_roles  text := (select string_agg(quote_ident(r.role_name), ', ' order by r.actor)
                          from jobmon.deployment_role r where r.actor <> 'owner');
    object     record;
    grant_sql  text;
begin
    if (select n.nspowner::regrole::name from pg_namespace n where n.nspname = 'jobmon') <> owner_role then
        execute format('alter schema jobmon owner to %I', owner_role);
    end if;
    for object in
        select format('%s %s', case c.relkind when 'S' then 'sequence' when 'v' then 'view' else 'table' end,
                      c.oid::regclass) as name
          from pg_class c
         where c.relnamespace = 'jobmon'::regnamespace and c.relkind in ('r', 'p', 'v', 'S')
           and c.relowner::regrole::name <> owner_role
           and not exists (select 1 from pg_depend d  -- identity sequences follow their table
                            where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype in ('a', 'i'))
        union all
        select format('function %s', p.oid::regprocedure) from pg_proc p
         where p.pronamespace = 'jobmon'::regnamespace and p.proowner::regrole::name <> owner_role
        union all
        select format('type %s', t.oid::regtype) from pg_type t
         where t.typnamespace = 'jobmon'::regnamespace and t.typowner::regrole::name <> owner_role
           and (t.typtype in ('d', 'e') or (t.typtype = 'c' and
                (select c.relkind from pg_class c where c.oid = t.typrelid) = 'c'))
    loop
        execute format('alter %s owner to %I', object.name, owner_role);
    end loop;

    if exists (select 1 from jobmon.deployment_role r
                where not has_schema_privilege(r.role_name, 'jobmon', 'USAGE')) then
        execute format('grant usage on schema jobmon to %s', all_roles);
    end if;

    -- Functions: compare who may execute each with who should.
    for object in
        select p.oid::regprocedure as fn,
               coalesce((select string_agg(quote_ident(r.role_name), ', ' order by r.role_name)
                           from jobmon._privileges() g
                           join jobmon.deployment_role r on r.actor = g.actor
                          where g.object_kind = 'function' and g.object_name = p.proname), '') as wanted,
               coalesce((select string_agg(quote_ident(coalesce(a.grantee::regrole::name, 'public')), ', '
                                           order by a.grantee::regrole::name)
                           from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                          where a.grantee <> p.proowner), '') as actual
          from pg_proc p
         where p.pronamespace = 'jobmon'::regnamespace
    loop
        continue when object.wanted = object.actual;
        execute format('revoke all on function %s from public, %s', object.fn, all_roles);
        if object.wanted <> '' then
            execute format('grant execute on function %s to %s', object.fn, object.wanted);
        end if;
    end loop;

    -- Tables: compare table and column privileges with the list.
    for object in
        select c.oid::regclass as tab, c.relname,
               coalesce((select string_agg(x, ',' order by x) from (
                   select format('%s %s %s', r.role_name, g.privilege, coalesce(g.column_name, '')) as x
                           from jobmon._privileges() g
                           join jobmon.deployment_role r on r.actor = g.actor
                    where g.object_kind = 'table' and g.object_name = c.relname) s), '') as wanted,
               coalesce((select string_agg(x, ',' order by x) from (
                   select format('%s %s ', a.grantee::regrole::name, a.privilege_type) as x
                     from aclexplode(c.relacl) a where a.grantee <> c.relowner
                   union all
                   select format('%s %s %s', a.grantee::regrole::name, a.privilege_type, att.attname)
                     from pg_attribute att cross join lateral aclexplode(att.attacl) a
                    where att.attrelid = c.oid and att.attacl is not null) s), '') as actual
          from pg_class c
         where c.relnamespace = 'jobmon'::regnamespace and c.relkind = 'r'
    loop
        continue when object.wanted = object.actual;
        execute format('revoke all on table %s from public, %s', object.tab, all_roles);
        for grant_sql in
            select format('grant %s%s on table %s to %I', g.privilege,
                          coalesce(' (' || quote_ident(g.column_name) || ')', ''), object.tab, r.role_name)
              from jobmon._privileges() g
              join jobmon.deployment_role r on r.actor = g.actor
             where g.object_kind = 'table' and g.object_name = object.relname
        loop
            execute grant_sql;
        end loop;
    end loop;
end;
$$;

--
-- Name: FUNCTION _secure_schema(); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._secure_schema() IS 'Internal. Gives every object of the schema to the owner role and applies the grants of jobmon._privileges(), changing only what differs. Run by migrate.';

--
-- Name: _status_check(regclass); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._status_check(lookup regclass) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    codes text;
begin
    execute format('select coalesce(array_agg(id order by id), ''{}'')::text from %s', lookup) into codes;
    return format('CHECK ((status = ANY (%L::text[])))', codes);
end;
$$;

--
-- Name: FUNCTION _status_check(lookup regclass); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._status_check(lookup regclass) IS 'Internal. The CHECK a status column must carry: status is one of the codes of the given lookup table.';

--
-- Name: _task_instance_move_rule(text, text, text, boolean); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._task_instance_move_rule(from_status text, to_status text, task_status text, attempts_left boolean) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    select case when m.kind = 'untimely' then 'untimely'
                when m.task_to_status is null then 'refused'
                else m.task_to_status || case when m.adds_attempt then '+' else '' end end
      from jobmon.task_instance_move m
     where m.from_status = _task_instance_move_rule.from_status and m.to_status = _task_instance_move_rule.to_status
       and m.task_status = _task_instance_move_rule.task_status
       and m.attempts_left = _task_instance_move_rule.attempts_left
$$;

--
-- Name: FUNCTION _task_instance_move_rule(from_status text, to_status text, task_status text, attempts_left boolean); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._task_instance_move_rule(from_status text, to_status text, task_status text, attempts_left boolean) IS 'Internal, for calls of release 0.1.0 in flight during an upgrade: the rule of jobmon.task_instance_move for one move (NULL invalid, ''untimely'', ''refused'', or the task''s next status with ''+'' when it counts an attempt). Removed in 0.3.0.';

--
-- Name: task_instance_move; Type: TABLE; Schema: jobmon; Owner: -
--

CREATE TABLE jobmon.task_instance_move (
    from_status text NOT NULL,
    to_status text NOT NULL,
    task_status text NOT NULL,
    attempts_left boolean NOT NULL,
    kind text NOT NULL,
    task_to_status text,
    adds_attempt boolean NOT NULL,
    task_path text[] NOT NULL,
    refused_task_from text,
    refused_task_to text,
    CONSTRAINT task_instance_move_check CHECK (((task_to_status IS NULL) = (refused_task_from IS NOT NULL))),
    CONSTRAINT task_instance_move_kind_check CHECK ((kind = ANY (ARRAY['valid'::text, 'untimely'::text])))
);

--
-- Name: TABLE task_instance_move; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TABLE jobmon.task_instance_move IS 'Derived from the rule tables (never written by hand): for a task-instance move from_status -> to_status, its kind, and, for a task in task_status with attempts left or not, the task status the cascade ends in (task_to_status) and whether it counts an attempt. A valid move whose cascade is refused has task_to_status NULL and the refused task move in refused_task_from/to. Pairs not listed are invalid.';

--
-- Name: COLUMN task_instance_move.attempts_left; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.task_instance_move.attempts_left IS 'task.num_attempts < task.max_attempts before the move.';

--
-- Name: COLUMN task_instance_move.task_path; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.task_instance_move.task_path IS 'The task statuses the cascade moves the task through, in order (R -> E -> G: {E,G}); empty when the task does not move.';

--
-- Name: _task_instance_moves_from_rules(); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._task_instance_moves_from_rules() RETURNS SETOF jobmon.task_instance_move
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    rule      record;
    move      jobmon.task_instance_move;
    next_task text;
begin
    for rule in
        select r.from_status, r.to_status, r.kind, s.id as task_status, left_ as attempts_left
          from jobmon.task_instance_transition r
         cross join jobmon.task_status s
         cross join (values (true), (false)) a(left_)
    loop
        move := row(rule.from_status, rule.to_status, rule.task_status, rule.attempts_left, rule.kind,
                    rule.task_status, false, array[]::text[], null, null);
        if rule.kind = 'valid' then
            foreach next_task in array jobmon.task_moves_on_entering(
                rule.to_status, case when rule.attempts_left then 0 else 1 end, 1)
            loop
                continue when next_task = move.task_to_status;
                if not exists (select 1 from jobmon.task_transition t
                                where t.kind = 'cascade'
                                  and t.from_status = move.task_to_status and t.to_status = next_task) then
                    move.refused_task_from := move.task_to_status;
                    move.refused_task_to := next_task;
                    move.task_to_status := null;
                    move.adds_attempt := false;
                    move.task_path := array[]::text[];
                    exit;
                end if;
                move.adds_attempt := move.adds_attempt or next_task = 'Q';
                move.task_to_status := next_task;
                move.task_path := move.task_path || next_task;
            end loop;
        end if;
        return next move;
    end loop;
end;
$$;

--
-- Name: FUNCTION _task_instance_moves_from_rules(); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._task_instance_moves_from_rules() IS 'Internal. The rows jobmon.task_instance_move must hold, derived from the rule tables and the cascade.';

--
-- Name: _track_task_status_xid(); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._track_task_status_xid() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
    new.status_xid := pg_catalog.pg_current_xact_id();
    new.status_cluster := (pg_catalog.pg_control_system()).system_identifier;
    return new;
end;
$$;

--
-- Name: FUNCTION _track_task_status_xid(); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._track_task_status_xid() IS 'Internal. Row trigger on jobmon.task: records the transaction that changed status (status_xid) and its cluster (status_cluster), for jobmon.task_status_changes().';

--
-- Name: _transition_task_instance(bigint, text, jsonb); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._transition_task_instance(task_instance_id bigint, new_status text, columns jsonb) RETURNS jobmon.task_instance_transition_result
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    select * from jobmon._transition_task_instance(task_instance_id, new_status, columns, null::text)
$$;

--
-- Name: FUNCTION _transition_task_instance(task_instance_id bigint, new_status text, columns jsonb); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._transition_task_instance(task_instance_id bigint, new_status text, columns jsonb) IS 'Internal, for calls of release 0.1.0 in flight during an upgrade: the move of jobmon._transition_task_instance() credited to no function. Removed in 0.3.0.';

--
-- Name: _transition_task_instance(bigint, text, jsonb, text); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._transition_task_instance(task_instance_id bigint, new_status text, columns jsonb, function_name text) RETURNS jobmon.task_instance_transition_result
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION _transition_task_instance(task_instance_id bigint, new_status text, columns jsonb, function_name text); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._transition_task_instance(task_instance_id bigint, new_status text, columns jsonb, function_name text) IS 'Internal. The move of jobmon.transition_task_instance() and of every call-site function: writes with an applied move the non-NULL route columns in columns (nodename, process_group_id, distributor_id, submitted_date, report_by_date and the usage columns) and its history, credited to function_name.';

--
-- Name: _triaged_task_instance_statuses(); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._triaged_task_instance_statuses() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ select array['R', 'O'] $$;

--
-- Name: FUNCTION _triaged_task_instance_statuses(); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._triaged_task_instance_statuses() IS 'Internal. The task-instance statuses the triage sweep moves when overdue (R, O).';

--
-- Name: _unlaunched_task_instance_statuses(); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._unlaunched_task_instance_statuses() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ select array['Q', 'I'] $$;

--
-- Name: FUNCTION _unlaunched_task_instance_statuses(); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._unlaunched_task_instance_statuses() IS 'Internal. The task-instance statuses that never reached the cluster (Q, I).';

--
-- Name: _usable_distributor_id(text); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._usable_distributor_id(distributor_id text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $_$
    select distributor_id is not null
           and distributor_id operator(pg_catalog.!~) '^[[:space:]]*$'
           and pg_catalog.length(distributor_id) operator(pg_catalog.<=) 20
$_$;

--
-- Name: FUNCTION _usable_distributor_id(distributor_id text); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._usable_distributor_id(distributor_id text) IS 'Internal. Whether a distributor (cluster job) id may be recorded: not NULL, not blank, at most 20 characters.';

--
-- Name: _usage(text, text, text, text, text, text, text, text, text, text, text); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._usage(nodename text, stdout text, stderr text, stdout_log text, stderr_log text, wallclock text, maxrss text, maxpss text, cpu text, io text, usage_str text) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
    return jsonb_build_object('nodename', nodename, 'stdout', stdout, 'stderr', stderr,
                              'stdout_log', stdout_log, 'stderr_log', stderr_log, 'wallclock', wallclock,
                              'maxrss', maxrss, 'maxpss', maxpss, 'cpu', cpu, 'io', io, 'usage_str', usage_str);
end;
$$;

--
-- Name: FUNCTION _usage(nodename text, stdout text, stderr text, stdout_log text, stderr_log text, wallclock text, maxrss text, maxpss text, cpu text, io text, usage_str text); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._usage(nodename text, stdout text, stderr text, stdout_log text, stderr_log text, wallclock text, maxrss text, maxpss text, cpu text, io text, usage_str text) IS 'Internal. The usage columns of a report as jsonb, for jobmon._transition_task_instance().';

--
-- Name: _worker_node_task_instance(bigint); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon._worker_node_task_instance(task_instance_id bigint) RETURNS jobmon.worker_node_task_instance_wire
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION _worker_node_task_instance(task_instance_id bigint); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon._worker_node_task_instance(task_instance_id bigint) IS 'Internal. The worker-node wire form of a task instance (see jobmon.worker_node_task_instance()). Raises JM003 not found.';

--
-- Name: array_task_instance(bigint, integer, integer); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon.array_task_instance(array_id bigint, array_batch_num integer, array_step_id integer) RETURNS jobmon.worker_node_task_instance_wire
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION array_task_instance(array_id bigint, array_batch_num integer, array_step_id integer); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon.array_task_instance(array_id bigint, array_batch_num integer, array_step_id integer) IS 'How an array worker finds its task instance: the worker-node wire form of the instance at (array_id, array_batch_num, array_step_id). Locks nothing. Raises 22004 NULL argument, JM003 not found.';

--
-- Name: bind_tasks(bigint, bigint[], text[], bigint[], bigint[], text[], text[], integer[], text[], text[], boolean[]); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon.bind_tasks(workflow_id bigint, node_ids bigint[], task_args_hashes text[], array_ids bigint[], task_resources_ids bigint[], names text[], commands text[], max_attempts_per_task integer[], resource_scales text[], fallback_queues text[], reset_if_running boolean[]) RETURNS TABLE(node_id bigint, task_args_hash text, task_id bigint, outcome text, previous_status text, status text, max_attempts integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    wf_id       constant bigint := bind_tasks.workflow_id;
    n           integer;
    created     bigint[];
    locked      bigint[];
    first_fresh bigint;
    r_node      bigint[];
    r_hash      text[];
    r_array     bigint[];
    r_resources bigint[];
    r_name      text[];
    r_command   text[];
    r_max       integer[];
    r_scales    text[];
    r_queues    text[];
    r_reset     boolean[];
begin
    perform jobmon._require_workflow(wf_id);
    if node_ids is null or task_args_hashes is null or array_ids is null or task_resources_ids is null
       or names is null or commands is null or max_attempts_per_task is null or resource_scales is null
       or fallback_queues is null or reset_if_running is null then
        raise exception 'the task arrays must not be NULL'
            using errcode = '22004', hint = 'Nothing was changed. Pass one element per task in every array (they may be empty).';
    end if;
    n := coalesce(cardinality(node_ids), 0);
    if (select bool_or(a <> n)
          from unnest(array[cardinality(task_args_hashes), cardinality(array_ids), cardinality(task_resources_ids),
                            cardinality(names), cardinality(commands), cardinality(max_attempts_per_task),
                            cardinality(resource_scales), cardinality(fallback_queues),
                            cardinality(reset_if_running)]) a) then
        raise exception 'the task arrays differ in length (node_ids has %)', n
            using errcode = '22023', hint = 'Nothing was changed. Pass one element per task in every array.';
    end if;
    if n = 0 then
        return;
    end if;
    if array_position(node_ids, null) is not null or array_position(task_args_hashes, null) is not null
       or array_position(names, null) is not null or array_position(max_attempts_per_task, null) is not null
       or array_position(reset_if_running, null) is not null then
        raise exception 'a node_id, task_args_hash, name, max_attempts or reset_if_running element is NULL'
            using errcode = '22004', hint = 'Nothing was changed. Every task needs its key, a name, max_attempts and reset_if_running.';
    end if;
    if exists (select 1 from unnest(max_attempts_per_task) m where m < 0) then
        raise exception 'max_attempts must not be negative'
            using errcode = '22023', hint = 'Nothing was changed.';
    end if;

    -- The request, one element per distinct key (its first occurrence), in key order.
    select array_agg(u.n order by u.n, u.h), array_agg(u.h order by u.n, u.h), array_agg(u.a order by u.n, u.h),
           array_agg(u.r order by u.n, u.h), array_agg(u.nm order by u.n, u.h), array_agg(u.c order by u.n, u.h),
           array_agg(u.m order by u.n, u.h), array_agg(u.s order by u.n, u.h), array_agg(u.f order by u.n, u.h),
           array_agg(u.rr order by u.n, u.h)
      into r_node, r_hash, r_array, r_resources, r_name, r_command, r_max, r_scales, r_queues, r_reset
      from (select distinct on (v.n, v.h) v.*
              from unnest(node_ids, task_args_hashes, array_ids, task_resources_ids, names, commands,
                          max_attempts_per_task, resource_scales, fallback_queues, reset_if_running)
                   with ordinality v(n, h, a, r, nm, c, m, s, f, rr, ord)
             order by v.n, v.h, v.ord) u;

    -- New tasks first, in key order: status, num_attempts and status_date keep their defaults (G, 0, now).
    with inserted as (
        insert into jobmon.task as t (workflow_id, node_id, task_args_hash, array_id, task_resources_id, name,
                                      command, max_attempts, resource_scales, fallback_queues)
        select wf_id, q.node_id, q.task_args_hash, q.array_id, q.task_resources_id, q.name, q.command,
               q.max_attempts, q.resource_scales, q.fallback_queues
          from unnest(r_node, r_hash, r_array, r_resources, r_name, r_command, r_max, r_scales, r_queues, r_reset)
                   q(node_id, task_args_hash, array_id, task_resources_id, name, command, max_attempts,
                     resource_scales, fallback_queues, reset_if_running)
            on conflict on constraint ux_task_workflow_node_args do nothing
        returning t.id
    )
    select array_agg(i.id) into created from inserted i;

    locked := jobmon._lock_tasks(array(select t.id
                                         from jobmon.task t
                                         join unnest(r_node, r_hash) q(node_id, task_args_hash)
                                           on q.node_id = t.node_id and q.task_args_hash = t.task_args_hash
                                        where t.workflow_id = wf_id));

    -- Decided under the locks; a fresh task-instance id only when a task is reset.
    if exists (select 1 from jobmon.task t
                 join unnest(r_node, r_hash, r_array, r_resources, r_name, r_command, r_max, r_scales, r_queues, r_reset)
                   q(node_id, task_args_hash, array_id, task_resources_id, name, command, max_attempts,
                     resource_scales, fallback_queues, reset_if_running)
                on q.node_id = t.node_id and q.task_args_hash = t.task_args_hash
                where t.id = any (locked) and not t.id = any (coalesce(created, '{}'))
                  and jobmon._resets_on_resume(t.status, q.reset_if_running) and jobmon._may_reset(t.status)) then
        first_fresh := nextval(pg_get_serial_sequence('jobmon.task_instance', 'id'));
    end if;

    return query
    with decided as (
        select t.id, t.status, q.*,
               case when t.id = any (coalesce(created, '{}')) then 'created'
                    when not jobmon._resets_on_resume(t.status, q.reset_if_running) then 'unchanged'
                    when jobmon._may_reset(t.status) then 'reset'
                    else 'refused' end as decision
          from jobmon.task t
          join unnest(r_node, r_hash, r_array, r_resources, r_name, r_command, r_max, r_scales, r_queues, r_reset)
                   q(node_id, task_args_hash, array_id, task_resources_id, name, command, max_attempts,
                     resource_scales, fallback_queues, reset_if_running)
                on q.node_id = t.node_id and q.task_args_hash = t.task_args_hash
         where t.id = any (locked)
    ),
    moved as (
        update jobmon.task t
           set status = 'G', num_attempts = 0, status_date = now(), current_attempt_from = first_fresh,
               name = d.name, command = d.command, max_attempts = d.max_attempts
          from decided d
         where t.id = d.id and d.decision = 'reset'
        returning t.id, t.status, t.max_attempts
    ),
    recorded as (  -- the history of the resets, which no task instance's move caused
        insert into jobmon.transition_history
               (model, object_id, task_id, task_instance_id, from_status, to_status, function_name)
        select 'Task', d.id, d.id, null, d.status, 'G', 'bind_tasks'
          from decided d
          join moved m on m.id = d.id
         where d.status <> 'G' and (select s.enabled from jobmon.history_setting s)
         order by d.id
    )
    select d.node_id, d.task_args_hash, d.id, d.decision,
           case when d.decision = 'created' then null else d.status end,
           coalesce(m.status, d.status),
           coalesce(m.max_attempts, (select t.max_attempts from jobmon.task t where t.id = d.id))
      from decided d
      left join moved m on m.id = d.id
     order by d.id;
end;
$$;

--
-- Name: FUNCTION bind_tasks(workflow_id bigint, node_ids bigint[], task_args_hashes text[], array_ids bigint[], task_resources_ids bigint[], names text[], commands text[], max_attempts_per_task integer[], resource_scales text[], fallback_queues text[], reset_if_running boolean[]); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon.bind_tasks(workflow_id bigint, node_ids bigint[], task_args_hashes text[], array_ids bigint[], task_resources_ids bigint[], names text[], commands text[], max_attempts_per_task integer[], resource_scales text[], fallback_queues text[], reset_if_running boolean[]) IS 'Registers or rebinds a batch of tasks of a workflow by (node_id, task_args_hash): new ones in G (created), unfinished ones reset to G by the reset move with the new name, command and max_attempts (reset), D or R without reset_if_running left alone (unchanged), no reset move (refused). One row per distinct key in task id order. Locks the tasks in id order. Raises 22004, 22023, JM011.';

--
-- Name: derived_rules_drift(); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon.derived_rules_drift() RETURNS SETOF text
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    select format('%s constraint %s', v.tab, v.name)
      from (values ('jobmon.task_instance'::regclass, 'jobmon.task_instance_status'::regclass,
                    'task_instance_status_code'),
                   ('jobmon.task'::regclass, 'jobmon.task_status'::regclass, 'task_status_code')) v(tab, lookup, name)
     where jobmon._status_check(v.lookup) is distinct from
           (select pg_get_constraintdef(c.oid) from pg_constraint c where c.conrelid = v.tab and c.conname = v.name)
    union all
    select 'jobmon.task_instance_move'
     where exists (select * from jobmon._task_instance_moves_from_rules()
                   except select * from jobmon.task_instance_move)
        or exists (select * from jobmon.task_instance_move
                   except select * from jobmon._task_instance_moves_from_rules())
$$;

--
-- Name: FUNCTION derived_rules_drift(); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon.derived_rules_drift() IS 'What derived from the lookup tables (the status CHECKs, jobmon.task_instance_move) differs from them now; empty when up to date.';

--
-- Name: describe_statuses(text[]); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon.describe_statuses(codes text[]) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    select coalesce(string_agg(format('%s (%s)', s.id, s.label), ', ' order by c.ord), 'none')
      from unnest(codes) with ordinality as c(code, ord)
      join jobmon.task_instance_status s on s.id = c.code;
$$;

--
-- Name: FUNCTION describe_statuses(codes text[]); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon.describe_statuses(codes text[]) IS 'Formats task-instance status codes with their labels for error messages: ''I (INSTANTIATED), K (KILL_SELF)''.';

--
-- Name: describe_task_instance_transitions_from(text); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon.describe_task_instance_transitions_from(status text) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    select format('Valid transitions from %s: %s. Untimely (ignored, not errors): %s.',
                  jobmon.describe_statuses(array[status]),
                  jobmon.describe_statuses(array(
                      select t.to_status from jobmon.task_instance_transition t
                       where t.from_status = status and t.kind = 'valid' order by t.to_status)),
                  jobmon.describe_statuses(array(
                      select t.to_status from jobmon.task_instance_transition t
                       where t.from_status = status and t.kind = 'untimely' order by t.to_status)));
$$;

--
-- Name: FUNCTION describe_task_instance_transitions_from(status text); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon.describe_task_instance_transitions_from(status text) IS 'Lists the valid and untimely task-instance transitions from a status (the DETAIL of a JM001 error).';

--
-- Name: distributor_task_instances(bigint[]); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon.distributor_task_instances(task_instance_ids bigint[]) RETURNS SETOF jobmon.distributor_task_instance_wire
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
begin
    if task_instance_ids is null then
        raise exception 'task_instance_ids must not be NULL'
            using errcode = '22004',
                  hint = 'Pass an array of task instance ids, for example ''{1,2,3}''. Nothing was read.';
    end if;
    perform jobmon._require_batch_size('task_instance_ids', cardinality(task_instance_ids));
    return query
        select ti.id, ti.task_id, ti.workflow_run_id, t.workflow_id, ti.status, ti.distributor_id::text,
               ti.task_resources_id, ti.array_id, ti.array_batch_num, ti.array_step_id
          from jobmon.task_instance ti
          join jobmon.task t on t.id = ti.task_id
         where ti.id = any (task_instance_ids)
         order by ti.id;
end;
$$;

--
-- Name: FUNCTION distributor_task_instances(task_instance_ids bigint[]); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon.distributor_task_instances(task_instance_ids bigint[]) IS 'The distributor wire form of each existing task instance of the array, in the reference model''s column order (task_instance_id, task_id, workflow_run_id, workflow_id, status, distributor_id, task_resources_id, array_id, array_batch_num, array_step_id), ascending id; unknown ids are skipped. Locks nothing. Raises 22004 for a NULL array.';

--
-- Name: history_enabled(); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon.history_enabled() RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    select coalesce((select s.enabled from jobmon.history_setting s), false);
$$;

--
-- Name: FUNCTION history_enabled(); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon.history_enabled() IS 'Whether this database records the transition history (the switch jobmon.set_history() writes and every move reads). Reads only; locks nothing.';

--
-- Name: instantiate_task_instances(bigint[]); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon.instantiate_task_instances(task_instance_ids bigint[]) RETURNS SETOF jobmon.instantiated_task_instance
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    moves     jobmon.task_instance_move_result[];
    stale_ids bigint[];
    killed    bigint[];
begin
    if task_instance_ids is null then
        raise exception 'task_instance_ids must not be NULL'
            using errcode = '22004',
                  hint = 'Pass an array of task instance ids, for example ''{1,2,3}''. Nothing was changed.';
    end if;
    perform jobmon._require_batch_size('task_instance_ids', cardinality(task_instance_ids));

    -- Lock the tasks first (the move takes the same locks again at no cost),
    -- so that which instances are stale attempts is decided under the locks.
    perform jobmon._lock_tasks(array(select ti.task_id from jobmon.task_instance ti where ti.id = any (task_instance_ids)));
    select array_agg(ti.id) into stale_ids
      from jobmon.task_instance ti
      join jobmon.task t on t.id = ti.task_id
     where ti.id = any (task_instance_ids) and ti.id < t.current_attempt_from
       and ti.status = any (jobmon._unlaunched_task_instance_statuses());

    -- Only a task's current attempt may be instantiated. A stale one (its task
    -- was reset or queued again meanwhile) never reached the cluster: it is
    -- finished (K, then F, with an error-log row saying why) and comes back
-- 'stale' with where it ended.
    select array_agg(m.task_instance_id) filter (where m.outcome = 'applied') into killed
      from jobmon._move_task_instances(stale_ids, 'K', jobmon._unlaunched_task_instance_statuses(), function_name => 'instantiate_task_instances') m;
    insert into jobmon.task_instance_error_log (task_instance_id, description)
    select m.task_instance_id,
           'A stale attempt (its task was reset or queued again): finished (K -> F) instead of instantiated.'
      from jobmon._move_task_instances(killed, 'F', array['K'], function_name => 'instantiate_task_instances') m
     where m.outcome = 'applied';
    select array_agg(m::jobmon.task_instance_move_result) into moves
      from jobmon._move_task_instances(array(
               select u.id from unnest(task_instance_ids) u(id) where not (u.id = any (coalesce(stale_ids, '{}')))),
               'I', array['Q'], array['Q'], function_name => 'instantiate_task_instances') m;
    moves := moves || array(select row(u.id, null, 'stale', null, null, null, null, null, true)::jobmon.task_instance_move_result
                              from unnest(stale_ids) u(id));
    -- A new statement, so a new snapshot: the wire form as it is after the move.
    return query
        select m.task_instance_id, ti.task_id, ti.workflow_run_id, t.workflow_id, ti.status,
               ti.distributor_id::text, ti.task_resources_id, ti.array_id, ti.array_batch_num,
               ti.array_step_id, m.outcome
          from unnest(moves) m
          left join jobmon.task_instance ti on ti.id = m.task_instance_id
          left join jobmon.task t on t.id = ti.task_id
         order by m.task_instance_id;
end;
$$;

--
-- Name: FUNCTION instantiate_task_instances(task_instance_ids bigint[]); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon.instantiate_task_instances(task_instance_ids bigint[]) IS 'Q -> I for each requested task instance in Q whose task is Q (tasks -> I by the cascade); others are left alone, and a stale attempt in Q or I is finished instead (K -> F, outcome ''stale''). One row per distinct id: the distributor wire form after the call plus outcome (applied, unchanged, skipped, invalid, refused, conflict, not_found, stale). Locks the tasks in id order. Raises 22004 for a NULL array, 54000 over 1,000,000 ids.';

--
-- Name: kill_task_instances(bigint[]); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon.kill_task_instances(task_instance_ids bigint[]) RETURNS TABLE(task_instance_id bigint, task_id bigint, outcome text, previous_status text, status text, task_previous_status text, task_status text, task_num_attempts integer, stale boolean)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
    if task_instance_ids is null then
        raise exception 'task_instance_ids must not be NULL'
            using errcode = '22004', hint = 'Nothing was changed. Pass an array of task instance ids (it may be empty).';
    end if;
    perform jobmon._require_batch_size('task_instance_ids', cardinality(task_instance_ids));
    return query
    with moved as materialized (
        select * from jobmon._move_task_instances(task_instance_ids, 'F', array['K'], function_name => 'kill_task_instances')
    ),
    logged as (
        insert into jobmon.task_instance_error_log (task_instance_id, description)
        select m.task_instance_id, 'Killed by the distributor after it was told to die (K -> F).'
          from moved m
         where m.outcome = 'applied'
    )
    select m.* from moved m order by m.task_instance_id;
end;
$$;

--
-- Name: FUNCTION kill_task_instances(task_instance_ids bigint[]); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon.kill_task_instances(task_instance_ids bigint[]) IS 'The distributor killed these task instances on the cluster: K -> F each (with an error-log row), one row per id with its outcome (applied, unchanged, skipped when not K, not_found). Raises 22004 for a NULL array, 54000 over 1,000,000 ids.';

--
-- Name: launch_array_batch(bigint, integer, interval); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon.launch_array_batch(array_id bigint, array_batch_num integer, next_report_increment interval) RETURNS SETOF jobmon.launched_task_instance
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    arr_id    constant bigint := launch_array_batch.array_id;
    batch_num constant integer := launch_array_batch.array_batch_num;
    ids       bigint[];
    stale_ids bigint[];
    moves     jobmon.task_instance_move_result[];
begin
    if arr_id is null or batch_num is null or next_report_increment is null then
        raise exception '% must not be NULL',
            case when arr_id is null then 'array_id' when batch_num is null then 'array_batch_num'
                 else 'next_report_increment' end
            using errcode = '22004',
                  hint = 'Nothing was changed.';
    end if;
    perform jobmon._require_interval('next_report_increment', next_report_increment, false);
    -- Which instances belong to the batch never changes once they exist.
    select array_agg(ti.id)
      into ids
      from jobmon.task_instance ti
     where ti.array_id = arr_id and ti.array_batch_num = batch_num;
    if ids is null then
        return;
    end if;

    -- Only a task's current attempt may be launched: a stale one (its task was
    -- reset or queued again meanwhile) is told to die instead (I -> K, with its
    -- submitted_date: its job is on the cluster) and comes back 'stale'.
    -- Decided under the task locks, which the moves take again at no cost.
    perform jobmon._lock_tasks(array(select ti.task_id from jobmon.task_instance ti where ti.id = any (ids)));
    select array_agg(ti.id) into stale_ids
      from jobmon.task_instance ti
      join jobmon.task t on t.id = ti.task_id
     where ti.id = any (ids) and ti.id < t.current_attempt_from and ti.status = 'I';

    select array_agg(row(m.task_instance_id, m.task_id, case when m.task_instance_id = any (stale_ids) then 'stale'
                                                             else m.outcome end,
                         m.previous_status, m.status, m.task_previous_status, m.task_status, m.task_num_attempts,
                         m.stale)::jobmon.task_instance_move_result)
      into moves
      from (select k.* from jobmon._move_task_instances(stale_ids, 'K', array['I'], null, null, true, 'launch_array_batch') k
            union all
            select o.* from jobmon._move_task_instances(array(
                       select u.id from unnest(ids) u(id) where not (u.id = any (coalesce(stale_ids, '{}')))),
                   'O', array['I'], array['I'], clock_timestamp() + next_report_increment, true,
                   'launch_array_batch') o) m;
    return query
        select m.task_instance_id, m.task_id, ti.array_step_id, m.outcome, m.previous_status, m.status,
               m.task_previous_status, m.task_status, m.stale, ti.submitted_date, ti.report_by_date
          from unnest(moves) m
          join jobmon.task_instance ti on ti.id = m.task_instance_id
         order by m.task_instance_id;
end;
$$;

--
-- Name: FUNCTION launch_array_batch(array_id bigint, array_batch_num integer, next_report_increment interval); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon.launch_array_batch(array_id bigint, array_batch_num integer, next_report_increment interval) IS 'I -> O for every task instance of the array batch in I whose task is I, with submitted_date and report_by_date = clock_timestamp() + next_report_increment; tasks -> O by the cascade. A stale attempt in I goes to K instead (outcome ''stale''). One row per instance of the batch: outcome (applied, unchanged, skipped, stale, ...), statuses before and after, dates. Locks the tasks in id order. Raises 22004 NULL argument, 22023 increment not positive or over 100 years.';

--
-- Name: log_array_distributor_ids(bigint, integer, integer[], text[]); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon.log_array_distributor_ids(array_id bigint, array_batch_num integer, array_step_ids integer[], distributor_ids text[]) RETURNS SETOF jobmon.array_distributor_id_result
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    arr_id    constant bigint := log_array_distributor_ids.array_id;
    batch_num constant integer := log_array_distributor_ids.array_batch_num;
begin
    if arr_id is null or batch_num is null or array_step_ids is null or distributor_ids is null then
        raise exception '% must not be NULL',
            case when arr_id is null then 'array_id' when batch_num is null then 'array_batch_num'
                 when array_step_ids is null then 'array_step_ids' else 'distributor_ids' end
            using errcode = '22004',
                  hint = 'Nothing was changed.';
    end if;
    perform jobmon._require_batch_size('array_step_ids', cardinality(array_step_ids));
    if cardinality(array_step_ids) <> cardinality(distributor_ids) then
        raise exception 'array_step_ids has % elements but distributor_ids has %: they must pair up one to one',
            cardinality(array_step_ids), cardinality(distributor_ids)
            using errcode = '22023',
                  hint = 'Pass one distributor id per step, in the same order. Nothing was changed.';
    end if;

    perform jobmon._lock_tasks(array(select ti.task_id from jobmon.task_instance ti
                                      where ti.array_id = arr_id and ti.array_batch_num = batch_num
                                        and ti.array_step_id = any (array_step_ids)));

    return query
    with pairs as (
        select p.step, p.did from unnest(array_step_ids, distributor_ids) p(step, did) where p.step is not null
    ),
    requested as (
        select p.step, min(p.did) as did,
               count(distinct p.did) > 1 or (bool_or(p.did is null) and bool_or(p.did is not null)) as conflicting,
               bool_or(not jobmon._usable_distributor_id(p.did)) as bad
          from pairs p
         group by p.step
    ),
    current_rows as (
        select r.step, r.did, r.conflicting, r.bad, ti.id, ti.status, ti.distributor_id::text as old_did
          from requested r
          left join jobmon.task_instance ti
            on ti.array_id = arr_id and ti.array_batch_num = batch_num and ti.array_step_id = r.step
    ),
    decided as (
        select c.*,
               case
                   when c.id is null then 'not_found'
                   when c.conflicting then 'conflict'
                   when c.bad then 'invalid'
                   when c.status <> all (jobmon._array_id_task_instance_statuses()) then 'skipped'
                   -- A recorded id is kept, as log_distributor_id() keeps it.
                   else (case jobmon._distributor_id_outcome(c.old_did, c.did)
                             when 'record' then 'applied' when 'unchanged' then 'unchanged' else 'ignored' end)
               end as decision
          from current_rows c
    ),
    written as (
        update jobmon.task_instance ti
           set distributor_id = d.did
          from decided d
         where ti.id = d.id and d.decision = 'applied' and ti.status = any (jobmon._array_id_task_instance_statuses())
           and ti.distributor_id is null
        returning ti.id, ti.distributor_id::text as did
    )
    select d.step, d.id,
           case when d.decision = 'applied' and w.id is null then 'skipped' else d.decision end,
           d.status, coalesce(w.did, d.old_did)
      from decided d
      left join written w on w.id = d.id
     order by d.step;
end;
$$;

--
-- Name: FUNCTION log_array_distributor_ids(array_id bigint, array_batch_num integer, array_step_ids integer[], distributor_ids text[]); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon.log_array_distributor_ids(array_id bigint, array_batch_num integer, array_step_ids integer[], distributor_ids text[]) IS 'Records the cluster job id of each step of an array batch (array_step_ids[i] -> distributor_ids[i]) on its task instance when that is O or R and has no id yet (a recorded id is kept); others are left alone. One row per distinct step: outcome applied, unchanged, ignored, skipped, invalid (NULL, blank or too long id), conflict or not_found. Locks the tasks in id order, then the instances. Raises 22004 NULL argument, 22023 arrays of different lengths, 54000 over 1,000,000 steps.';

--
-- Name: log_distributor_id(bigint, text, interval); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon.log_distributor_id(task_instance_id bigint, distributor_id text, next_report_increment interval) RETURNS jobmon.call_site_result
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
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
    elsif locked.status = any (jobmon._launched_task_instance_statuses()) then  -- launched or moved on, not finished
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

--
-- Name: FUNCTION log_distributor_id(task_instance_id bigint, distributor_id text, next_report_increment interval); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon.log_distributor_id(task_instance_id bigint, distributor_id text, next_report_increment interval) IS 'The distributor''s job id for a task instance: from I, launches it (I -> O) and writes distributor_id, submitted_date and report_by_date (outcome ''applied''; a stale attempt goes I -> K instead, outcome ''stale''); a task instance already launched or moved on (O, R, T, X, K) keeps its status and gets the id only if it has none (''id_recorded''; same id: ''unchanged''); a finished one is left alone (''ignored''). Locks task, then task instance. Raises 22004, 22023, 22001, JM003, JM001 (from Q), JM002. See docs/sql-api.md.';

--
-- Name: log_done(bigint, text, text, text, text, text, text, text, text, text, text, text); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon.log_done(task_instance_id bigint, nodename text DEFAULT NULL::text, stdout text DEFAULT NULL::text, stderr text DEFAULT NULL::text, stdout_log text DEFAULT NULL::text, stderr_log text DEFAULT NULL::text, wallclock text DEFAULT NULL::text, maxrss text DEFAULT NULL::text, maxpss text DEFAULT NULL::text, cpu text DEFAULT NULL::text, io text DEFAULT NULL::text, usage_str text DEFAULT NULL::text) RETURNS jobmon.call_site_result
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
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

--
-- Name: FUNCTION log_done(task_instance_id bigint, nodename text, stdout text, stderr text, stdout_log text, stderr_log text, wallclock text, maxrss text, maxpss text, cpu text, io text, usage_str text); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon.log_done(task_instance_id bigint, nodename text, stdout text, stderr text, stdout_log text, stderr_log text, wallclock text, maxrss text, maxpss text, cpu text, io text, usage_str text) IS 'The worker node''s job finished: moves the task instance to D and, when applied, writes every usage argument that is not NULL (nodename, stdout, stderr, stdout_log, stderr_log, wallclock, maxrss, maxpss, cpu, io, usage_str). Already D: outcome ''unchanged''; untimely (U -> D): nothing written. Locks task, then task instance. Raises 22004, 22001, JM003, JM001, JM002. See docs/sql-api.md.';

--
-- Name: log_error(bigint, text, text, text, text, text, text, text, text, text, text, text, text, text); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon.log_error(task_instance_id bigint, error_state text, description text, nodename text DEFAULT NULL::text, stdout text DEFAULT NULL::text, stderr text DEFAULT NULL::text, stdout_log text DEFAULT NULL::text, stderr_log text DEFAULT NULL::text, wallclock text DEFAULT NULL::text, maxrss text DEFAULT NULL::text, maxpss text DEFAULT NULL::text, cpu text DEFAULT NULL::text, io text DEFAULT NULL::text, usage_str text DEFAULT NULL::text) RETURNS jobmon.call_site_result
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
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

--
-- Name: FUNCTION log_error(task_instance_id bigint, error_state text, description text, nodename text, stdout text, stderr text, stdout_log text, stderr_log text, wallclock text, maxrss text, maxpss text, cpu text, io text, usage_str text); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon.log_error(task_instance_id bigint, error_state text, description text, nodename text, stdout text, stderr text, stdout_log text, stderr_log text, wallclock text, maxrss text, maxpss text, cpu text, io text, usage_str text) IS 'An error report (worker node or reconciler): moves the task instance to error_state (E, Z, U or F; from T through R when the rules require it) and, when applied, writes the non-NULL usage arguments and adds exactly one task_instance_error_log row. Already in error_state: outcome ''unchanged'', nothing written; untimely: nothing written. Locks task, then task instance. Raises 22004, 22023, 22001, JM003, JM001, JM002. See docs/sql-api.md.';

--
-- Name: log_heartbeat(bigint, interval); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon.log_heartbeat(task_instance_id bigint, next_report_increment interval) RETURNS jobmon.call_site_result
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
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

--
-- Name: FUNCTION log_heartbeat(task_instance_id bigint, next_report_increment interval); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon.log_heartbeat(task_instance_id bigint, next_report_increment interval) IS 'The worker node''s heartbeat: a live task instance (O, R, T) gets report_by_date = clock_timestamp() + next_report_increment and T comes back to R (outcome ''applied''); any other status is left alone (outcome ''ignored''). Touches no other column. Returns the status, so a worker in K learns it must stop. Locks task, then task instance. Raises 22004, 22023, JM003. See docs/sql-api.md.';

--
-- Name: log_heartbeats(bigint[], interval); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon.log_heartbeats(task_instance_ids bigint[], next_report_increment interval) RETURNS SETOF jobmon.heartbeat_result
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
    if task_instance_ids is null or next_report_increment is null then
        raise exception '% must not be NULL',
            case when task_instance_ids is null then 'task_instance_ids' else 'next_report_increment' end
            using errcode = '22004',
                  hint = 'Nothing was changed.';
    end if;
    perform jobmon._require_interval('next_report_increment', next_report_increment, false),
            jobmon._require_batch_size('task_instance_ids', cardinality(task_instance_ids));

    perform jobmon._lock_tasks(array(select ti.task_id from jobmon.task_instance ti where ti.id = any (task_instance_ids)));

    return query
    with requested as (
        select distinct r.id from unnest(task_instance_ids) r(id) where r.id is not null
    ),
    pushed as (  -- report_by_date is in no index: HOT updates
        update jobmon.task_instance ti
           set report_by_date = clock_timestamp() + next_report_increment
          from requested r
         where ti.id = r.id and ti.status = 'O'
        returning ti.id, ti.report_by_date
    )
    select r.id,
           case when p.id is not null then 'applied' when ti.id is null then 'not_found' else 'skipped' end,
           ti.status, coalesce(p.report_by_date, ti.report_by_date)
      from requested r
      left join jobmon.task_instance ti on ti.id = r.id
      left join pushed p on p.id = r.id
     order by r.id;
end;
$$;

--
-- Name: FUNCTION log_heartbeats(task_instance_ids bigint[], next_report_increment interval); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon.log_heartbeats(task_instance_ids bigint[], next_report_increment interval) IS 'The distributor''s batch heartbeat: report_by_date = clock_timestamp() + next_report_increment for each requested task instance still in O; others are left alone. One row per distinct id: outcome applied, skipped or not_found, with status and report_by_date after the call. Locks the tasks in id order, then the instances. Raises 22004 NULL argument, 22023 increment not positive or over 100 years, 54000 over 1,000,000 ids.';

--
-- Name: log_no_distributor_id(bigint, text); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon.log_no_distributor_id(task_instance_id bigint, description text) RETURNS jobmon.call_site_result
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
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

--
-- Name: FUNCTION log_no_distributor_id(task_instance_id bigint, description text); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon.log_no_distributor_id(task_instance_id bigint, description text) IS 'Submission failed: moves the task instance I -> W and adds one task_instance_error_log row. Already W: outcome ''unchanged'', nothing written. Locks task, then task instance. Raises 22004, JM003, JM001, JM002. See docs/sql-api.md.';

--
-- Name: log_running(bigint, text, integer, interval, text); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon.log_running(task_instance_id bigint, nodename text, process_group_id integer, next_report_increment interval, distributor_id text DEFAULT NULL::text) RETURNS jobmon.log_running_result
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
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

--
-- Name: FUNCTION log_running(task_instance_id bigint, nodename text, process_group_id integer, next_report_increment interval, distributor_id text); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon.log_running(task_instance_id bigint, nodename text, process_group_id integer, next_report_increment interval, distributor_id text) IS 'The worker node''s job started: moves the task instance to R (O/I/T -> R; K -> F, X -> E and a stale attempt''s I -> K -> F instead, outcome ''stale'') and, when moved to R, writes nodename, process_group_id, distributor_id (when given and none is recorded) and report_by_date = clock_timestamp() + next_report_increment. A repeat (already R) changes nothing (outcome ''unchanged''). Returns the worker-node wire form, outcome and previous_status. Locks task, then task instance. Raises 22004, 22023, 22001, JM003, JM001, JM002. See docs/sql-api.md.';

--
-- Name: log_unknown_error(bigint, text); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon.log_unknown_error(task_instance_id bigint, description text) RETURNS jobmon.call_site_result
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
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

--
-- Name: FUNCTION log_unknown_error(task_instance_id bigint, description text); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon.log_unknown_error(task_instance_id bigint, description text) IS 'The reconciler''s unknown-error verdict: moves the task instance to U and adds one task_instance_error_log row, only while its report_by_date is still in the past (else outcome ''not_overdue'', nothing written). Already U: ''unchanged''; untimely: nothing written. Locks task, then task instance. Raises 22004, JM003, JM001, JM002. See docs/sql-api.md.';

--
-- Name: queue_task_batch(bigint[], bigint, bigint, bigint); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon.queue_task_batch(task_ids bigint[], array_id bigint, task_resources_id bigint, workflow_run_id bigint) RETURNS SETOF jobmon.queue_task_batch_result
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    arr_id constant bigint := queue_task_batch.array_id;
    res_id constant bigint := queue_task_batch.task_resources_id;
    run_id constant bigint := queue_task_batch.workflow_run_id;
    ids         bigint[];
    decisions   text[];
    queued_from text[];
    batch_num   integer;
    arr_workflow bigint;
    run_workflow bigint;
begin
    if task_ids is null then
        raise exception 'task_ids must not be NULL'
            using errcode = '22004',
                  hint = 'Pass an array of task ids, for example ''{1,2,3}'' (an empty array queues nothing). Nothing was changed.';
    end if;
    if arr_id is null then
        raise exception 'array_id must not be NULL'
            using errcode = '22004',
                  hint = 'Pass the id of the array the tasks belong to. Nothing was changed.';
    end if;
    perform jobmon._require_batch_size('task_ids', cardinality(task_ids));
    select a.workflow_id into arr_workflow from jobmon.array a where a.id = arr_id;
    if not found then
        raise exception 'Array id: % not found', arr_id
            using errcode = '22023',
                  hint = 'Pass the id of an existing jobmon.array row. Nothing was changed.';
    end if;
    -- The parents of the new instances, checked here rather than by the
    -- foreign keys, so that a bad one fails with a message naming it.
    if res_id is not null and not exists (select 1 from jobmon.task_resources r where r.id = res_id) then
        raise exception 'TaskResources id: % not found', res_id
            using errcode = 'JM012',
                  hint = 'Pass the id of an existing jobmon.task_resources row (or NULL). Nothing was changed.';
    end if;
    if run_id is not null then
        select r.workflow_id into run_workflow from jobmon.workflow_run r where r.id = run_id;
        if not found then
            raise exception 'WorkflowRun id: % not found', run_id
                using errcode = 'JM010',
                      hint = 'Nothing was changed. Check the id against jobmon.workflow_run.';
        end if;
        if run_workflow <> arr_workflow then
            raise exception 'WorkflowRun id: % belongs to Workflow id: %, not to Workflow id: % of Array id: %',
                run_id, run_workflow, arr_workflow, arr_id
                using errcode = 'JM013',
                      hint = 'Queue the tasks on a run of their own workflow. Nothing was changed.';
        end if;
    end if;

    -- Lock the tasks first, in ascending id order; decide after.
    perform jobmon._lock_tasks(task_ids);

    -- Decide on a snapshot taken after the locks (a new statement).
    select coalesce(array_agg(d.id order by d.id), '{}'), coalesce(array_agg(d.decision order by d.id), '{}'),
           coalesce(array_agg(d.status order by d.id) filter (where d.decision = 'applied'), '{}')
      into ids, decisions, queued_from
      from (
        select r.id, t.status,
               case
                   when t.id is null then 'not_found'
                   when t.array_id is distinct from arr_id then 'wrong_array'
                   when t.status <> all (jobmon._queueable_task_statuses()) then 'skipped'
                   when not exists (select 1 from jobmon.task_transition m
                                     where m.kind = 'cascade' and m.from_status = t.status and m.to_status = 'Q')
                       or not jobmon._attempts_left(t.num_attempts, t.max_attempts)
                       then 'invalid'
                   else 'applied'
               end as decision
          from (select distinct u.id from unnest(task_ids) u(id) where u.id is not null) r
          left join jobmon.task t on t.id = r.id
      ) d;

    -- Queue: a batch number (only when something is queued), one instance per
    -- task with steps 0..n-1 in task-id order, and the tasks' move, guarded
    -- again on the status decided on (queued_from, indexed by step).
    if cardinality(queued_from) > 0 then
        update jobmon.array a
           set next_batch_num = a.next_batch_num + 1
         where a.id = arr_id
        returning a.next_batch_num - 1 into batch_num;

        with inserted as (
            insert into jobmon.task_instance
                   (workflow_run_id, array_id, task_id, task_resources_id, array_batch_num, array_step_id, status)
            select run_id, arr_id, q.id, res_id, batch_num, (q.n - 1)::integer, 'Q'
              from unnest(array(select u.id from unnest(ids, decisions) u(id, decision)
                                 where u.decision = 'applied' order by u.id)) with ordinality q(id, n)
             order by q.n
            returning jobmon.task_instance.id, jobmon.task_instance.task_id, jobmon.task_instance.array_step_id
        ),
        queued as (
            update jobmon.task t
               set status = 'Q',
                   num_attempts = t.num_attempts + 1,
                   status_date = now(),
                   current_attempt_from = i.id
              from inserted i
             where t.id = i.task_id and t.status = queued_from[i.array_step_id + 1]
            returning t.id, i.id as task_instance_id, i.array_step_id
        )
        -- The history: each instance created, then its task's queueing (which no instance's move caused).
        insert into jobmon.transition_history
               (model, object_id, task_id, task_instance_id, from_status, to_status, function_name)
        select h.model, h.object_id, h.task_id, h.cause, h.from_status, 'Q', 'queue_task_batch'
          from (select 'TaskInstance' as model, i.id as object_id, i.task_id, i.id as cause,
                       null::text as from_status, i.id as instance, 0 as step
                  from inserted i
                union all
                select 'Task', q.id, q.id, null, queued_from[q.array_step_id + 1], q.task_instance_id, 1
                  from queued q) h
         where (select s.enabled from jobmon.history_setting s)
         order by h.instance, h.step;
    end if;

    -- Report what is true now (a new statement sees this call's writes).
    return query
        select d.id, d.decision, t.status, t.num_attempts,
               ti.id, ti.array_batch_num, ti.array_step_id
          from unnest(ids, decisions) d(id, decision)
          left join jobmon.task t on t.id = d.id
          left join jobmon.task_instance ti on ti.id = t.current_attempt_from and d.decision = 'applied'
         order by d.id;
end;
$$;

--
-- Name: FUNCTION queue_task_batch(task_ids bigint[], array_id bigint, task_resources_id bigint, workflow_run_id bigint); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon.queue_task_batch(task_ids bigint[], array_id bigint, task_resources_id bigint, workflow_run_id bigint) IS 'The swarm''s batch queue: each requested task in G or A (and allowed to Q by jobmon.task_transition) moves to Q with num_attempts + 1 and gets one new task instance in Q; the call''s instances share one batch number from the array''s counter and get steps 0..n-1 in task-id order. One row per distinct requested task: outcome applied, skipped, invalid, wrong_array or not_found. A call that queues nothing takes no batch number. Locks the tasks in id order, then the array row. Raises 22004 NULL task_ids or array_id, 22023 unknown array, JM012 unknown task resources, JM010 unknown workflow run, JM013 a workflow run of another workflow, 54000 over 1,000,000 ids.';

--
-- Name: require_task_instance_status(text); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon.require_task_instance_status(status text) RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    suggestion text;
begin
    if status is null then
        raise exception 'new_status must not be NULL'
            using errcode = '22004',
                  hint = 'Pass a task-instance status code such as ''R''.';
    end if;
    if exists (select 1 from jobmon.task_instance_status s where s.id = status) then
        return status;
    end if;

    select format('Use the one-character code: %s (%s).', s.id, s.label)
      into suggestion
      from jobmon.task_instance_status s
     where s.label = upper(btrim(status)) or s.id = upper(btrim(status));

    raise exception 'Unknown task instance status: %', quote_literal(jobmon._cut(status))
        using errcode = '22023',
              detail = 'Valid codes: ' || jobmon.describe_statuses(
                  array(select s.id from jobmon.task_instance_status s order by s.id)) || '.',
              hint = coalesce(suggestion, 'Status codes are one upper-case letter; labels are not accepted.');
end;
$$;

--
-- Name: FUNCTION require_task_instance_status(status text); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon.require_task_instance_status(status text) IS 'Returns the argument if it is a task-instance status code, else raises 22004 (NULL) or 22023 (unknown code; DETAIL lists the valid codes).';

--
-- Name: reset_tasks_for_resume(bigint, boolean); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon.reset_tasks_for_resume(workflow_id bigint, reset_running boolean) RETURNS TABLE(task_id bigint, outcome text, previous_status text, status text, previous_num_attempts integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    wf_id       constant bigint := reset_tasks_for_resume.workflow_id;
    locked      bigint[];
    first_fresh bigint;
begin
    perform jobmon._require_workflow(wf_id);
    if reset_running is null then
        raise exception 'reset_running must not be NULL'
            using errcode = '22004', hint = 'Nothing was changed. Pass true for a cold resume (running tasks too), false for a hot one.';
    end if;

    locked := jobmon._lock_tasks(array(select t.id from jobmon.task t
                                        where t.workflow_id = wf_id and jobmon._resets_on_resume(t.status, reset_running)));
    -- Read again after the locks: a task a cascade in flight finished (D) is not reset.
    select array_agg(t.id order by t.id) into locked
      from jobmon.task t
     where t.id = any (locked) and jobmon._resets_on_resume(t.status, reset_running);
    if locked is null then
        return;
    end if;
    -- Every task instance that exists now has a smaller id.
    first_fresh := nextval(pg_get_serial_sequence('jobmon.task_instance', 'id'));

    return query
    with decided as (
        select t.id, t.status, t.num_attempts, jobmon._may_reset(t.status) as allowed
          from jobmon.task t
         where t.id = any (locked)
    ),
    moved as (
        update jobmon.task t
           set status = 'G', num_attempts = 0, status_date = now(), current_attempt_from = first_fresh
          from decided d
         where t.id = d.id and d.allowed
        returning t.id
    ),
    recorded as (  -- the history of the status changes, which no task instance's move caused
        insert into jobmon.transition_history
               (model, object_id, task_id, task_instance_id, from_status, to_status, function_name)
        select 'Task', d.id, d.id, null, d.status, 'G', 'reset_tasks_for_resume'
          from decided d
          join moved m on m.id = d.id
         where d.status <> 'G' and (select s.enabled from jobmon.history_setting s)
         order by d.id
    )
    select d.id, case when m.id is not null then 'applied' else 'refused' end, d.status,
           case when m.id is not null then 'G' else d.status end, d.num_attempts
      from decided d
      left join moved m on m.id = d.id
     order by d.id;
end;
$$;

--
-- Name: FUNCTION reset_tasks_for_resume(workflow_id bigint, reset_running boolean); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon.reset_tasks_for_resume(workflow_id bigint, reset_running boolean) IS 'For a resume: every task of the workflow not D (and not R unless reset_running) -> G with num_attempts = 0 along the ''resume'' rows of jobmon.task_transition; its existing task instances become stale attempts. Locks the tasks in id order. Returns one row per task. Raises 22004, JM011.';

--
-- Name: set_history(boolean); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon.set_history(enabled boolean) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
    if enabled is null then
        raise exception 'enabled must not be NULL'
            using errcode = '22004', hint = 'Pass true to record the history, false to stop recording it.';
    end if;
    update jobmon.history_setting s set enabled = set_history.enabled;
    return enabled;
end;
$$;

--
-- Name: FUNCTION set_history(enabled boolean); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon.set_history(enabled boolean) IS 'Turns the transition history of this database on (true) or off (false) and returns the new state. Owner only. Locks the row of jobmon.history_setting until commit; never waits for a move.';

--
-- Name: transition_history; Type: TABLE; Schema: jobmon; Owner: -
--

CREATE TABLE jobmon.transition_history (
    id bigint NOT NULL,
    model text NOT NULL,
    object_id bigint NOT NULL,
    task_id bigint NOT NULL,
    task_instance_id bigint,
    from_status text,
    to_status text NOT NULL,
    recorded_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    function_name text,
    role_name name DEFAULT SESSION_USER NOT NULL,
    application_name text DEFAULT NULLIF(current_setting('application_name'::text), ''::text),
    CONSTRAINT transition_history_check CHECK (
CASE model
    WHEN 'Task'::text THEN (object_id = task_id)
    ELSE (task_instance_id = object_id)
END),
    CONSTRAINT transition_history_model_check CHECK ((model = ANY (ARRAY['TaskInstance'::text, 'Task'::text])))
);

--
-- Name: TABLE transition_history; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TABLE jobmon.transition_history IS 'One row per applied move of a task instance (from_status NULL: created) and of a task, in the order of id (status dates can go backwards across transactions; id cannot). Written by the moves themselves (the jobmon functions), in the same transaction; a direct write by the owner is not recorded. Turned off and on per database with jobmon.set_history(). Read with jobmon.task_instance_history().';

--
-- Name: COLUMN transition_history.id; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.transition_history.id IS 'The order of the history: increasing in the order the moves were made.';

--
-- Name: COLUMN transition_history.model; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.transition_history.model IS '''TaskInstance'' or ''Task''.';

--
-- Name: COLUMN transition_history.object_id; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.transition_history.object_id IS 'The task instance or the task that moved.';

--
-- Name: COLUMN transition_history.task_id; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.transition_history.task_id IS 'The task (of the task instance, or the task itself).';

--
-- Name: COLUMN transition_history.task_instance_id; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.transition_history.task_instance_id IS 'For a task instance: itself. For a task: the task instance whose move cascaded to it; NULL for a move no task instance caused (a queueing, a resume reset).';

--
-- Name: COLUMN transition_history.from_status; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.transition_history.from_status IS 'Status before; NULL when the task instance was created.';

--
-- Name: COLUMN transition_history.to_status; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.transition_history.to_status IS 'Status after.';

--
-- Name: COLUMN transition_history.recorded_at; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.transition_history.recorded_at IS 'clock_timestamp() when the row was written (status_date is the transaction start).';

--
-- Name: COLUMN transition_history.function_name; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.transition_history.function_name IS 'The public jobmon function the caller called to make the move, passed by that function to the move (no session setting is read).';

--
-- Name: COLUMN transition_history.role_name; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.transition_history.role_name IS 'session_user: the role that logged in (inside the SECURITY DEFINER functions current_user is the owner).';

--
-- Name: COLUMN transition_history.application_name; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.transition_history.application_name IS 'The client''s application_name, NULL when unset.';

--
-- Name: task_instance_history(bigint); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon.task_instance_history(task_instance_id bigint) RETURNS SETOF jobmon.transition_history
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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

--
-- Name: FUNCTION task_instance_history(task_instance_id bigint); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon.task_instance_history(task_instance_id bigint) IS 'The history of a task instance: its creation and moves and its task''s moves, ordered by id (the order they were made). Raises JM003 when the task instance does not exist, 22004 for NULL.';

--
-- Name: task_moves_on_entering(text, integer, integer); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon.task_moves_on_entering(task_instance_status text, num_attempts integer, max_attempts integer) RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
    return case
        when task_instance_status in ('Q', 'I', 'O', 'R', 'D') then array[task_instance_status]
        when task_instance_status in ('W', 'E', 'U', 'Z') then array['E',
            case when not jobmon._attempts_left(num_attempts, max_attempts) then 'F'
                 when task_instance_status = 'Z' then 'A'
                 else 'G' end]
        when task_instance_status = 'F' then array['E', 'F']
        else array[]::text[]
    end;
end;
$$;

--
-- Name: FUNCTION task_moves_on_entering(task_instance_status text, num_attempts integer, max_attempts integer); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon.task_moves_on_entering(task_instance_status text, num_attempts integer, max_attempts integer) IS 'The task moves, in order, that a task instance entering the given status asks for (the cascade). Error states W, E, U, Z give E then F (no attempts left), A (resource error) or G.';

--
-- Name: task_status_changes(bigint, bigint); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon.task_status_changes(workflow_id bigint, after bigint) RETURNS TABLE(task_id bigint, status text, cursor bigint)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    wf_id    constant bigint := task_status_changes.workflow_id;
    xid_bits constant bigint := 17592186044415;  -- 2^44 - 1: the transaction id's part of a cursor
    cluster  constant bigint := (pg_control_system()).system_identifier;
    tag      constant bigint := jobmon._feed_cluster_tag();
    horizon  bigint;
begin
    perform jobmon._require_workflow(wf_id);
    if after is null then
        raise exception 'after must not be NULL'
            using errcode = '22004', hint = 'Pass 0 for every task, then the largest cursor the previous call returned.';
    end if;
    horizon := pg_snapshot_xmin(pg_current_snapshot())::text::bigint;
    if horizon > xid_bits then
        raise exception 'the change feed counts transaction ids up to %, this cluster is at %', xid_bits, horizon
            using errcode = '54000';
    end if;
    if after < 0 or (after >> 44 in (0, tag >> 44) and (after & xid_bits) > horizon) then
        raise exception 'after is not a cursor of task_status_changes(): %', after
            using errcode = '22023',
                  hint = 'Pass 0 for every task, then the largest cursor the previous call returned (not a time or a row id).';
    end if;
    if after >> 44 not in (0, tag >> 44) then
        raise exception 'after is a cursor of task_status_changes() from another cluster: %', after
            using errcode = 'JM030',
                  detail = 'The database was restored from a dump since: transaction ids of another cluster say nothing here.',
                  hint = 'Start again from 0: the call returns every task of the workflow with its current status.';
    end if;
    return query
    select t.id, t.status, tag + horizon
      from jobmon.task t
     where t.workflow_id = wf_id
       and (   (t.status_cluster in (cluster, 0)  -- 0: before 0010; on another cluster a harmless repeat
                and t.status_xid >= (after & xid_bits)::text::xid8 and t.status_xid < horizon::text::xid8)
            or (after = 0 and t.status_cluster <> cluster))
     order by t.status_cluster = cluster, t.status_xid, t.id;
end;
$$;

--
-- Name: FUNCTION task_status_changes(workflow_id bigint, after bigint); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon.task_status_changes(workflow_id bigint, after bigint) IS 'The swarm''s incremental sync: (task_id, status, cursor) for the tasks of a workflow whose status changed after the cursor (0: all, restored ones included). A change committed after one call is returned by a later one even if its transaction started before (snapshot-xmin cursor over task.status_xid, tagged with the cluster). Raises 22004, 22023, JM011, JM030 (a cursor of another cluster: start again from 0).';

--
-- Name: terminate_workflow_run(bigint, boolean); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon.terminate_workflow_run(workflow_run_id bigint, hot boolean DEFAULT false) RETURNS TABLE(task_instance_id bigint, task_id bigint, outcome text, previous_status text, status text, task_status text, stale boolean, description text)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    run_id     constant bigint := terminate_workflow_run.workflow_run_id;
    mode       text;
    locked     bigint[];
    kill_ids   bigint[];
    fatal_ids  bigint[];
    error_ids  bigint[];
    done_ids   bigint[];
    pre_k_ids  bigint[];
    kill_rows  jobmon.task_instance_move_result[];
    done_rows  jobmon.task_instance_move_result[];
    fatal_rows jobmon.task_instance_move_result[];
    error_rows jobmon.task_instance_move_result[];
begin
    perform jobmon._require_workflow_run(run_id);
    if hot is null then
        raise exception 'hot must not be NULL'
            using errcode = '22004', hint = 'Nothing was changed. Pass true for a hot resume (running instances go on), false for a cold one.';
    end if;
    mode := case when hot then 'hot' else 'cold' end;

    locked := jobmon._lock_tasks(array(select ti.task_id from jobmon.task_instance ti
                                        where ti.workflow_run_id = run_id
                                          and ti.status = any (jobmon._live_task_instance_statuses())));
    if locked is null then
        return;
    end if;

    -- Decided under the task locks, on a snapshot taken after them.
    select array_agg(ti.id) filter (where ti.status in ('Q', 'I', 'O') or (ti.status = 'R' and not hot)),
           array_agg(ti.id) filter (where ti.status = 'T' and not hot),
           array_agg(ti.id) filter (where ti.status = 'X'),
           array_agg(ti.id) filter (where ti.status = 'K' and ti.submitted_date is null
                                      and ti.distributor_id is null and ti.nodename is null)
      into kill_ids, fatal_ids, error_ids, pre_k_ids
      from jobmon.task_instance ti
     where ti.workflow_run_id = run_id and ti.task_id = any (locked);

    kill_rows := array(select m::jobmon.task_instance_move_result from jobmon._move_task_instances(
                           kill_ids, 'K', case when hot then array['Q', 'I', 'O'] else array['Q', 'I', 'O', 'R'] end,
                           function_name => 'terminate_workflow_run') m);

    -- Never on the cluster: told to die just now from Q or I, or told so by
    -- an earlier call and never launched.
    select array_agg(k.id) into done_ids
      from (select k.task_instance_id as id from unnest(kill_rows) k
             where k.outcome = 'applied' and k.previous_status = any (jobmon._unlaunched_task_instance_statuses())
            union all
            select unnest(pre_k_ids)) k;
    done_rows := array(select m::jobmon.task_instance_move_result
                           from jobmon._move_task_instances(done_ids, 'F', array['K'], function_name => 'terminate_workflow_run') m);
    fatal_rows := array(select m::jobmon.task_instance_move_result
                           from jobmon._move_task_instances(fatal_ids, 'F', array['T'], function_name => 'terminate_workflow_run') m);
    error_rows := array(select m::jobmon.task_instance_move_result
                           from jobmon._move_task_instances(error_ids, 'E', array['X'], function_name => 'terminate_workflow_run') m);

    return query
    with steps as (
        select s.step, r.*
          from (values (1, kill_rows), (2, done_rows), (3, fatal_rows), (4, error_rows)) s(step, rows_)
         cross join lateral unnest(s.rows_) r
    ),
    per_instance as (
        select s.task_instance_id, s.task_id,
               (array_agg(s.previous_status order by s.step))[1] as first_status,
               (array_agg(s.status order by s.step desc))[1] as last_status,
               (array_agg(s.task_status order by s.step desc))[1] as last_task_status,
               bool_or(s.stale) as stale,
               string_agg(s.status, ' -> ' order by s.step) filter (where s.outcome = 'applied') as path,
               (array_agg(s.outcome order by s.step desc) filter (where s.outcome <> 'applied'))[1] as not_applied
          from steps s
         group by s.task_instance_id, s.task_id
    ),
    described as (
        select p.*,
               case when p.path is not null then
                   format('Workflow run %s was terminated for a %s resume: %s -> %s, %s%s.', run_id, mode,
                          p.first_status, p.path,
                          case p.first_status
                              when 'O' then 'its job is to be killed on the cluster'
                              when 'R' then 'it is to kill itself'
                              when 'T' then 'it had stopped reporting'
                              when 'X' then 'it never heartbeated'
                              else 'it never reached the cluster' end,
                          case when p.last_status = 'K' and p.not_applied is not null
                               then format(' (K -> F %s while its task is current: finished once the task is reset)',
                                           p.not_applied)
                               else '' end)
               end as why
          from per_instance p
    ),
    logged as (
        insert into jobmon.task_instance_error_log (task_instance_id, description)
        select d.task_instance_id, d.why from described d where d.why is not null
    )
    select d.task_instance_id, d.task_id,
           case when d.path is not null then 'applied' else d.not_applied end,
           d.first_status, d.last_status, d.last_task_status, d.stale, d.why
      from described d
     order by d.task_instance_id;
end;
$$;

--
-- Name: FUNCTION terminate_workflow_run(workflow_run_id bigint, hot boolean); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon.terminate_workflow_run(workflow_run_id bigint, hot boolean) IS 'For a resume: tells every live task instance of the workflow run to die through the rules (Q/I -> K -> F, O -> K, R -> K unless hot, T -> F unless hot, X -> E), one error-log row each; returns one row per instance with its outcome. Locks the run''s tasks in id order. Raises 22004, JM010.';

--
-- Name: transition_task_instance(bigint, text); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon.transition_task_instance(task_instance_id bigint, new_status text) RETURNS jobmon.task_instance_transition_result
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
begin
    return jobmon._transition_task_instance(task_instance_id, new_status, null, 'transition_task_instance');
end;
$$;

--
-- Name: FUNCTION transition_task_instance(task_instance_id bigint, new_status text); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon.transition_task_instance(task_instance_id bigint, new_status text) IS 'Moves a task instance to new_status (a one-character code) and cascades to its task, under row locks (task, then task instance), by the rules in jobmon.task_instance_move. Returns one row: outcome ''applied'' or ''untimely'' (ignored race), statuses before and after, stale = true when the task instance is an attempt its task has left behind (then the task is not touched). Raises JM001 invalid transition, JM002 invalid task move in the cascade, JM003 not found, 22004 NULL argument, 22023 unknown status. See docs/sql-api.md.';

--
-- Name: triage_overdue(bigint, interval); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon.triage_overdue(workflow_run_id bigint, launched_grace interval) RETURNS TABLE(task_instance_id bigint, task_id bigint, previous_status text, status text, report_by_date timestamp with time zone)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    run_id        constant bigint := triage_overdue.workflow_run_id;
    locked_tasks  bigint[];
    overdue_r     bigint[];
    overdue_o     bigint[];
begin
    perform jobmon._require_workflow_run(run_id);
    if launched_grace is null then
        raise exception 'launched_grace must not be NULL'
            using errcode = '22004', hint = 'Nothing was changed. Pass how long an instance may stay launched, e.g. ''10 minutes''.';
    end if;
    perform jobmon._require_interval('launched_grace', launched_grace, true);

    -- The tasks of the overdue candidates, in id order, skipping the held ones.
    locked_tasks := jobmon._lock_tasks(array(select ti.task_id
                                               from jobmon.task_instance ti
                                              where ti.workflow_run_id = run_id
                                                and ti.status = any (jobmon._triaged_task_instance_statuses())
                                                and ti.report_by_date < now()),
                                       skip_locked => true);
    if locked_tasks is null then
        return;
    end if;

    -- Under the task locks, on a new snapshot: still overdue? (A heartbeat
    -- that committed meanwhile has moved report_by_date.) Instances someone
    -- holds without holding their task are skipped as well.
    select array_agg(c.id) filter (where c.status = 'R'), array_agg(c.id) filter (where c.status = 'O')
      into overdue_r, overdue_o
      from (select ti.id, ti.status
              from jobmon.task_instance ti
             where ti.workflow_run_id = run_id
               and ti.task_id = any (locked_tasks)
               and ti.status = any (jobmon._triaged_task_instance_statuses())
               and ti.report_by_date < now()
               and (ti.status = 'R' or ti.status_date < now() - launched_grace)
             order by ti.id
               for no key update of ti skip locked) c;

    return query
    select m.task_instance_id, m.task_id, m.previous_status, m.status, ti.report_by_date
      from jobmon._move_task_instances(overdue_r, 'T', array['R'], function_name => 'triage_overdue') m
      join jobmon.task_instance ti on ti.id = m.task_instance_id
     where m.outcome = 'applied';
    return query
    select m.task_instance_id, m.task_id, m.previous_status, m.status, ti.report_by_date
      from jobmon._move_task_instances(overdue_o, 'X', array['O'], function_name => 'triage_overdue') m
      join jobmon.task_instance ti on ti.id = m.task_instance_id
     where m.outcome = 'applied';
end;
$$;

--
-- Name: FUNCTION triage_overdue(workflow_run_id bigint, launched_grace interval); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon.triage_overdue(workflow_run_id bigint, launched_grace interval) IS 'The swarm''s sweep of one workflow run: R instances past report_by_date -> T, O instances past it and launched longer than launched_grace -> X; tasks untouched. Skips rows others hold (SKIP LOCKED); a heartbeat committed during the sweep wins. Returns the instances moved. Raises 22004, 22023, JM010.';

--
-- Name: worker_node_task_instance(bigint); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon.worker_node_task_instance(task_instance_id bigint) RETURNS jobmon.worker_node_task_instance_wire
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET plan_cache_mode TO 'force_generic_plan'
    AS $$
begin
    if worker_node_task_instance.task_instance_id is null then
        raise exception 'task_instance_id must not be NULL'
            using errcode = '22004',
                  hint = 'Nothing was read.';
    end if;
    return jobmon._worker_node_task_instance(worker_node_task_instance.task_instance_id);
end;
$$;

--
-- Name: FUNCTION worker_node_task_instance(task_instance_id bigint); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon.worker_node_task_instance(task_instance_id bigint) IS 'The worker-node wire form of a task instance, in the reference model''s column order (task_instance_id, status, workflow_run_id, task_id, name, command, workflow_id, stdout, stderr); stdout/stderr come from the task resources'' requested_resources, NULL when missing. Locks nothing. Raises 22004 NULL id, JM003 not found.';

--
-- Name: array; Type: TABLE; Schema: jobmon; Owner: -
--

CREATE TABLE jobmon."array" (
    id bigint NOT NULL,
    workflow_id bigint NOT NULL,
    name text,
    next_batch_num integer DEFAULT 1 NOT NULL,
    task_template_version_id bigint,
    max_concurrently_running integer,
    created_date timestamp with time zone DEFAULT now(),
    CONSTRAINT array_next_batch_num_check CHECK ((next_batch_num >= 1))
);

--
-- Name: TABLE "array"; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TABLE jobmon."array" IS 'A group of tasks submitted as one cluster array job (minimal).';

--
-- Name: COLUMN "array".next_batch_num; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon."array".next_batch_num IS 'The batch number the next jobmon.queue_task_batch() call of this array takes (a counter: taken with UPDATE ... RETURNING, which serialises concurrent calls on the array; a call that queues nothing takes none).';

--
-- Name: array_id_seq; Type: SEQUENCE; Schema: jobmon; Owner: -
--

ALTER TABLE jobmon."array" ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME jobmon.array_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: deployment_role; Type: TABLE; Schema: jobmon; Owner: -
--

CREATE TABLE jobmon.deployment_role (
    actor text NOT NULL,
    role_name name NOT NULL,
    CONSTRAINT deployment_role_actor_check CHECK ((actor = ANY (ARRAY['owner'::text, 'app'::text, 'readonly'::text, 'worker_node'::text, 'distributor'::text, 'swarm'::text])))
);

--
-- Name: TABLE deployment_role; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TABLE jobmon.deployment_role IS 'The NOLOGIN group roles of this database, by actor: owner (owns the schema; the functions run with its rights), app (every public function, inserts parent rows, reads everything), readonly, and one role per actor that calls only its own functions. A deployment grants them to its login roles.';

--
-- Name: history_setting; Type: TABLE; Schema: jobmon; Owner: -
--

CREATE TABLE jobmon.history_setting (
    singleton boolean DEFAULT true NOT NULL,
    enabled boolean NOT NULL,
    CONSTRAINT history_setting_singleton_check CHECK (singleton)
);

--
-- Name: TABLE history_setting; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TABLE jobmon.history_setting IS 'One row: whether the moves record the transition history (jobmon.transition_history). Written by jobmon.set_history().';

--
-- Name: COLUMN history_setting.enabled; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.history_setting.enabled IS 'true: every move writes its history rows with it, in its transaction.';

--
-- Name: installed_release; Type: TABLE; Schema: jobmon; Owner: -
--

CREATE TABLE jobmon.installed_release (
    singleton boolean DEFAULT true NOT NULL,
    version text NOT NULL,
    migrated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT installed_release_singleton_check CHECK (singleton)
);

--
-- Name: TABLE installed_release; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TABLE jobmon.installed_release IS 'One row: the jobmon-db release whose `migrate` last ran on this database, written by the post-apply step.';

--
-- Name: COLUMN installed_release.singleton; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.installed_release.singleton IS 'Always true: the table holds one row.';

--
-- Name: COLUMN installed_release.version; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.installed_release.version IS 'The package version of that release (jobmon-db --version).';

--
-- Name: COLUMN installed_release.migrated_at; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.installed_release.migrated_at IS 'When that migrate finished applying the sql/ files.';

--
-- Name: installed_routine; Type: TABLE; Schema: jobmon; Owner: -
--

CREATE TABLE jobmon.installed_routine (
    signature text NOT NULL,
    definition_md5 text NOT NULL
);

--
-- Name: TABLE installed_routine; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TABLE jobmon.installed_routine IS 'Every function of schema jobmon as the last migrate left it: its signature and an md5 of its definition, privileges and comment. `jobmon-db status` compares the functions with it.';

--
-- Name: COLUMN installed_routine.signature; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.installed_routine.signature IS 'The function''s regprocedure text, e.g. jobmon.log_done(bigint, text).';

--
-- Name: COLUMN installed_routine.definition_md5; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.installed_routine.definition_md5 IS 'md5 of pg_get_functiondef(), the ACL and the comment.';

--
-- Name: repeatable_sql; Type: TABLE; Schema: jobmon; Owner: -
--

CREATE TABLE jobmon.repeatable_sql (
    file text NOT NULL,
    sha256 text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);

--
-- Name: TABLE repeatable_sql; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TABLE jobmon.repeatable_sql IS 'Checksum of each sql/ file as last applied by the post-apply step; a file is re-applied only when it changed.';

--
-- Name: task; Type: TABLE; Schema: jobmon; Owner: -
--

CREATE TABLE jobmon.task (
    id bigint NOT NULL,
    workflow_id bigint NOT NULL,
    node_id bigint,
    task_args_hash text,
    array_id bigint,
    name text,
    command text,
    task_resources_id bigint,
    num_attempts integer DEFAULT 0 NOT NULL,
    max_attempts integer DEFAULT 1 NOT NULL,
    resource_scales text,
    fallback_queues text,
    status text DEFAULT 'G'::text NOT NULL,
    status_date timestamp with time zone DEFAULT now() NOT NULL,
    current_attempt_from bigint DEFAULT 0 NOT NULL,
    status_xid xid8 DEFAULT pg_current_xact_id() NOT NULL,
    status_cluster bigint DEFAULT (pg_control_system()).system_identifier NOT NULL,
    CONSTRAINT task_attempts_within_max CHECK ((num_attempts <= max_attempts)),
    CONSTRAINT task_max_attempts_check CHECK ((max_attempts >= 1)),
    CONSTRAINT task_num_attempts_check CHECK ((num_attempts >= 0)),
    CONSTRAINT task_status_code CHECK ((status = ANY ('{A,D,E,F,G,I,O,Q,R}'::text[])))
);

--
-- Name: TABLE task; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TABLE jobmon.task IS 'A task of a workflow. Its status follows the task state machine (jobmon.task_transition) and is moved by the cascade of jobmon.transition_task_instance().';

--
-- Name: COLUMN task.num_attempts; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.task.num_attempts IS 'Attempts counted so far: one each time the task enters Q.';

--
-- Name: COLUMN task.max_attempts; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.task.max_attempts IS 'How many times the task may be queued (at least 1). When num_attempts >= max_attempts, an error of a task instance fails the task (F); num_attempts never exceeds it.';

--
-- Name: COLUMN task.status_date; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.task.status_date IS 'When status last changed (or num_attempts).';

--
-- Name: COLUMN task.current_attempt_from; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.task.current_attempt_from IS 'Task instances of this task with a smaller id are stale attempts: their moves never cascade to the task. Set when a new task instance is queued and when the task is reset for a resume.';

--
-- Name: COLUMN task.status_xid; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.task.status_xid IS 'The transaction (pg_current_xact_id()) that last changed status, or inserted the task. Written by a trigger; read by jobmon.task_status_changes().';

--
-- Name: COLUMN task.status_cluster; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.task.status_cluster IS 'The cluster (pg_control_system().system_identifier) whose transaction status_xid is; 0 if written before migration 0010. Written with status_xid; read by jobmon.task_status_changes().';

--
-- Name: task_id_seq; Type: SEQUENCE; Schema: jobmon; Owner: -
--

ALTER TABLE jobmon.task ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME jobmon.task_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: task_instance; Type: TABLE; Schema: jobmon; Owner: -
--

CREATE TABLE jobmon.task_instance (
    id bigint NOT NULL,
    workflow_run_id bigint,
    array_id bigint,
    task_id bigint NOT NULL,
    distributor_id character varying(20),
    task_resources_id bigint,
    array_batch_num integer,
    array_step_id integer,
    nodename character varying(150),
    process_group_id integer,
    usage_str character varying(250),
    wallclock character varying(50),
    maxrss character varying(50),
    maxpss character varying(50),
    cpu character varying(50),
    io character varying(50),
    stdout character varying(2048),
    stderr character varying(2048),
    stdout_log text,
    stderr_log text,
    status text DEFAULT 'Q'::text NOT NULL,
    submitted_date timestamp with time zone,
    status_date timestamp with time zone DEFAULT now() NOT NULL,
    report_by_date timestamp with time zone,
    CONSTRAINT task_instance_status_code CHECK ((status = ANY ('{D,E,F,I,K,O,Q,R,T,U,W,X,Z}'::text[])))
)
WITH (fillfactor='33');

--
-- Name: TABLE task_instance; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TABLE jobmon.task_instance IS 'One attempt to run a task. Starts in Q; only the jobmon functions create and move task instances.';

--
-- Name: COLUMN task_instance.status; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.task_instance.status IS 'Current status (jobmon.task_instance_status).';

--
-- Name: COLUMN task_instance.status_date; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.task_instance.status_date IS 'When status last changed.';

--
-- Name: task_instance_error_log; Type: TABLE; Schema: jobmon; Owner: -
--

CREATE TABLE jobmon.task_instance_error_log (
    id bigint NOT NULL,
    task_instance_id bigint NOT NULL,
    error_time timestamp with time zone DEFAULT now() NOT NULL,
    description text
);

--
-- Name: TABLE task_instance_error_log; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TABLE jobmon.task_instance_error_log IS 'One row per error report of a task instance.';

--
-- Name: task_instance_error_log_id_seq; Type: SEQUENCE; Schema: jobmon; Owner: -
--

ALTER TABLE jobmon.task_instance_error_log ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME jobmon.task_instance_error_log_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: task_instance_id_seq; Type: SEQUENCE; Schema: jobmon; Owner: -
--

ALTER TABLE jobmon.task_instance ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME jobmon.task_instance_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: task_instance_status; Type: TABLE; Schema: jobmon; Owner: -
--

CREATE TABLE jobmon.task_instance_status (
    id text NOT NULL,
    label text NOT NULL,
    description text NOT NULL,
    CONSTRAINT task_instance_status_id_check CHECK ((id ~ '^[A-Z]$'::text))
);

--
-- Name: TABLE task_instance_status; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TABLE jobmon.task_instance_status IS 'The 13 task-instance statuses: one-character code, label and meaning.';

--
-- Name: task_instance_transition; Type: TABLE; Schema: jobmon; Owner: -
--

CREATE TABLE jobmon.task_instance_transition (
    from_status text NOT NULL,
    to_status text NOT NULL,
    kind text NOT NULL,
    reason text NOT NULL,
    CONSTRAINT task_instance_transition_kind_check CHECK ((kind = ANY (ARRAY['valid'::text, 'untimely'::text])))
);

--
-- Name: TABLE task_instance_transition; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TABLE jobmon.task_instance_transition IS 'Task-instance transition rules. kind = valid: the move is applied and cascades to the task. kind = untimely: a known race between the distributor, the worker node and the reconciler; the request is ignored and is not an error. Any pair not listed is invalid (SQLSTATE JM001).';

--
-- Name: COLUMN task_instance_transition.kind; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.task_instance_transition.kind IS '''valid'' (applied) or ''untimely'' (ignored: a late report that lost a race).';

--
-- Name: COLUMN task_instance_transition.reason; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.task_instance_transition.reason IS 'Why the pair exists, from the reference model.';

--
-- Name: task_resources; Type: TABLE; Schema: jobmon; Owner: -
--

CREATE TABLE jobmon.task_resources (
    id bigint NOT NULL,
    requested_resources jsonb,
    queue_id bigint,
    task_resources_type_id character varying(1)
);

--
-- Name: TABLE task_resources; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TABLE jobmon.task_resources IS 'Resources requested for a task (minimal: the foreign keys need it).';

--
-- Name: COLUMN task_resources.requested_resources; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.task_resources.requested_resources IS 'Resources requested for the task, as a JSON object (for example {"stdout": "/logs/out", "stderr": "/logs/err", "memory": "2G"}); malformed JSON is refused on write.';

--
-- Name: task_resources_id_seq; Type: SEQUENCE; Schema: jobmon; Owner: -
--

ALTER TABLE jobmon.task_resources ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME jobmon.task_resources_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: task_status; Type: TABLE; Schema: jobmon; Owner: -
--

CREATE TABLE jobmon.task_status (
    id text NOT NULL,
    label text NOT NULL,
    description text NOT NULL,
    CONSTRAINT task_status_id_check CHECK ((id ~ '^[A-Z]$'::text))
);

--
-- Name: TABLE task_status; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TABLE jobmon.task_status IS 'The 9 task statuses: one-character code, label and meaning.';

--
-- Name: task_transition; Type: TABLE; Schema: jobmon; Owner: -
--

CREATE TABLE jobmon.task_transition (
    from_status text NOT NULL,
    to_status text NOT NULL,
    reason text NOT NULL,
    kind text NOT NULL
);

--
-- Name: TABLE task_transition; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TABLE jobmon.task_transition IS 'Valid task transitions. A move to the status the task already has does nothing; any other pair not listed is invalid (SQLSTATE JM002 during a task-instance cascade). Entering Q counts one attempt.';

--
-- Name: COLUMN task_transition.kind; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.task_transition.kind IS '''cascade'': a move asked for by a task-instance transition. Other kinds are moves of the operations named by them.';

--
-- Name: transition_history_id_seq; Type: SEQUENCE; Schema: jobmon; Owner: -
--

ALTER TABLE jobmon.transition_history ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME jobmon.transition_history_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: workflow; Type: TABLE; Schema: jobmon; Owner: -
--

CREATE TABLE jobmon.workflow (
    id bigint NOT NULL,
    name text,
    tool_version_id bigint,
    dag_id bigint,
    workflow_args_hash character varying(150),
    task_hash character varying(150),
    description text,
    workflow_args text,
    max_concurrently_running integer,
    created_date timestamp with time zone,
    status_date timestamp with time zone DEFAULT now(),
    status character varying(1) DEFAULT 'G'::character varying NOT NULL
);

--
-- Name: TABLE workflow; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TABLE jobmon.workflow IS 'A Jobmon workflow (minimal: the foreign keys need it).';

--
-- Name: COLUMN workflow.created_date; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.workflow.created_date IS 'Set when the last chunk of tasks was bound (upstream Jobmon: the workflow is resumable from then on).';

--
-- Name: COLUMN workflow.status; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.workflow.status IS 'Upstream Jobmon''s workflow status (G registering, Q, R, D, F, H, A, ...); jobmon-db''s functions do not read it.';

--
-- Name: workflow_id_seq; Type: SEQUENCE; Schema: jobmon; Owner: -
--

ALTER TABLE jobmon.workflow ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME jobmon.workflow_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: workflow_run; Type: TABLE; Schema: jobmon; Owner: -
--

CREATE TABLE jobmon.workflow_run (
    id bigint NOT NULL,
    workflow_id bigint NOT NULL,
    "user" character varying(150),
    jobmon_version character varying(150) DEFAULT 'UNKNOWN'::character varying,
    jobmon_server_version character varying(150),
    status character varying(1) DEFAULT 'G'::character varying NOT NULL,
    created_date timestamp with time zone DEFAULT now(),
    status_date timestamp with time zone DEFAULT now(),
    heartbeat_date timestamp with time zone DEFAULT now()
);

--
-- Name: TABLE workflow_run; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TABLE jobmon.workflow_run IS 'One run of a workflow (minimal: the foreign keys need it).';

--
-- Name: COLUMN workflow_run.status; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.workflow_run.status IS 'Upstream Jobmon''s workflow-run status (G registered, L, B, R, D, C, H, T, E, ...); jobmon-db''s functions do not read it.';

--
-- Name: workflow_run_id_seq; Type: SEQUENCE; Schema: jobmon; Owner: -
--

ALTER TABLE jobmon.workflow_run ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME jobmon.workflow_run_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: array array_pkey; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon."array"
    ADD CONSTRAINT array_pkey PRIMARY KEY (id);

--
-- Name: deployment_role deployment_role_pkey; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.deployment_role
    ADD CONSTRAINT deployment_role_pkey PRIMARY KEY (actor);

--
-- Name: deployment_role deployment_role_role_name_key; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.deployment_role
    ADD CONSTRAINT deployment_role_role_name_key UNIQUE (role_name);

--
-- Name: history_setting history_setting_pkey; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.history_setting
    ADD CONSTRAINT history_setting_pkey PRIMARY KEY (singleton);

--
-- Name: installed_release installed_release_pkey; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.installed_release
    ADD CONSTRAINT installed_release_pkey PRIMARY KEY (singleton);

--
-- Name: installed_routine installed_routine_pkey; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.installed_routine
    ADD CONSTRAINT installed_routine_pkey PRIMARY KEY (signature);

--
-- Name: task_instance ix_array_batch_index; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_instance
    ADD CONSTRAINT ix_array_batch_index UNIQUE (array_id, array_batch_num, array_step_id);

--
-- Name: CONSTRAINT ix_array_batch_index ON task_instance; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON CONSTRAINT ix_array_batch_index ON jobmon.task_instance IS 'An array worker finds its task instance by (array_id, array_batch_num, array_step_id): one row each.';

--
-- Name: repeatable_sql repeatable_sql_pkey; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.repeatable_sql
    ADD CONSTRAINT repeatable_sql_pkey PRIMARY KEY (file);

--
-- Name: task_instance_error_log task_instance_error_log_pkey; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_instance_error_log
    ADD CONSTRAINT task_instance_error_log_pkey PRIMARY KEY (id);

--
-- Name: task_instance_move task_instance_move_pkey; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_instance_move
    ADD CONSTRAINT task_instance_move_pkey PRIMARY KEY (from_status, to_status, task_status, attempts_left);

--
-- Name: task_instance task_instance_pkey; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_instance
    ADD CONSTRAINT task_instance_pkey PRIMARY KEY (id);

--
-- Name: task_instance_status task_instance_status_label_key; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_instance_status
    ADD CONSTRAINT task_instance_status_label_key UNIQUE (label);

--
-- Name: task_instance_status task_instance_status_pkey; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_instance_status
    ADD CONSTRAINT task_instance_status_pkey PRIMARY KEY (id);

--
-- Name: task_instance_transition task_instance_transition_pkey; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_instance_transition
    ADD CONSTRAINT task_instance_transition_pkey PRIMARY KEY (from_status, to_status);

--
-- Name: task task_pkey; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task
    ADD CONSTRAINT task_pkey PRIMARY KEY (id);

--
-- Name: task_resources task_resources_pkey; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_resources
    ADD CONSTRAINT task_resources_pkey PRIMARY KEY (id);

--
-- Name: task_status task_status_label_key; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_status
    ADD CONSTRAINT task_status_label_key UNIQUE (label);

--
-- Name: task_status task_status_pkey; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_status
    ADD CONSTRAINT task_status_pkey PRIMARY KEY (id);

--
-- Name: task_transition task_transition_pkey; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_transition
    ADD CONSTRAINT task_transition_pkey PRIMARY KEY (from_status, to_status, kind);

--
-- Name: transition_history transition_history_pkey; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.transition_history
    ADD CONSTRAINT transition_history_pkey PRIMARY KEY (id);

--
-- Name: array uc_task_template_version_id_workflow_id; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon."array"
    ADD CONSTRAINT uc_task_template_version_id_workflow_id UNIQUE (task_template_version_id, workflow_id);

--
-- Name: task ux_task_workflow_node_args; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task
    ADD CONSTRAINT ux_task_workflow_node_args UNIQUE (workflow_id, node_id, task_args_hash);

--
-- Name: workflow workflow_pkey; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.workflow
    ADD CONSTRAINT workflow_pkey PRIMARY KEY (id);

--
-- Name: workflow_run workflow_run_pkey; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.workflow_run
    ADD CONSTRAINT workflow_run_pkey PRIMARY KEY (id);

--
-- Name: ix_status_status_date; Type: INDEX; Schema: jobmon; Owner: -
--

CREATE INDEX ix_status_status_date ON jobmon.task_instance USING btree (status, status_date);

--
-- Name: ix_task_instance_error_log_task_instance_id; Type: INDEX; Schema: jobmon; Owner: -
--

CREATE INDEX ix_task_instance_error_log_task_instance_id ON jobmon.task_instance_error_log USING btree (task_instance_id);

--
-- Name: ix_task_instance_live_by_run; Type: INDEX; Schema: jobmon; Owner: -
--

CREATE INDEX ix_task_instance_live_by_run ON jobmon.task_instance USING btree (workflow_run_id, status) WHERE (status = ANY (ARRAY['Q'::text, 'I'::text, 'O'::text, 'R'::text, 'T'::text, 'X'::text, 'K'::text]));

--
-- Name: ix_task_instance_task_id; Type: INDEX; Schema: jobmon; Owner: -
--

CREATE INDEX ix_task_instance_task_id ON jobmon.task_instance USING btree (task_id);

--
-- Name: ix_task_instance_task_resources_id; Type: INDEX; Schema: jobmon; Owner: -
--

CREATE INDEX ix_task_instance_task_resources_id ON jobmon.task_instance USING btree (task_resources_id);

--
-- Name: ix_task_workflow_id_status_date; Type: INDEX; Schema: jobmon; Owner: -
--

CREATE INDEX ix_task_workflow_id_status_date ON jobmon.task USING btree (workflow_id, status_date);

--
-- Name: ix_task_workflow_id_status_xid; Type: INDEX; Schema: jobmon; Owner: -
--

CREATE INDEX ix_task_workflow_id_status_xid ON jobmon.task USING btree (workflow_id, status_xid);

--
-- Name: ix_transition_history_task_id_id; Type: INDEX; Schema: jobmon; Owner: -
--

CREATE INDEX ix_transition_history_task_id_id ON jobmon.transition_history USING btree (task_id, id);

--
-- Name: ix_workflow_args_hash; Type: INDEX; Schema: jobmon; Owner: -
--

CREATE INDEX ix_workflow_args_hash ON jobmon.workflow USING btree (workflow_args_hash);

--
-- Name: ix_workflow_dag_id; Type: INDEX; Schema: jobmon; Owner: -
--

CREATE INDEX ix_workflow_dag_id ON jobmon.workflow USING btree (dag_id);

--
-- Name: ix_workflow_run_workflow_id; Type: INDEX; Schema: jobmon; Owner: -
--

CREATE INDEX ix_workflow_run_workflow_id ON jobmon.workflow_run USING btree (workflow_id);

--
-- Name: task_instance_status refresh_derived_rules; Type: TRIGGER; Schema: jobmon; Owner: -
--

CREATE TRIGGER refresh_derived_rules AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON jobmon.task_instance_status FOR EACH STATEMENT EXECUTE FUNCTION jobmon._refresh_derived_rules_trigger();

--
-- Name: task_instance_transition refresh_derived_rules; Type: TRIGGER; Schema: jobmon; Owner: -
--

CREATE TRIGGER refresh_derived_rules AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON jobmon.task_instance_transition FOR EACH STATEMENT EXECUTE FUNCTION jobmon._refresh_derived_rules_trigger();

--
-- Name: task_status refresh_derived_rules; Type: TRIGGER; Schema: jobmon; Owner: -
--

CREATE TRIGGER refresh_derived_rules AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON jobmon.task_status FOR EACH STATEMENT EXECUTE FUNCTION jobmon._refresh_derived_rules_trigger();

--
-- Name: task_transition refresh_derived_rules; Type: TRIGGER; Schema: jobmon; Owner: -
--

CREATE TRIGGER refresh_derived_rules AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON jobmon.task_transition FOR EACH STATEMENT EXECUTE FUNCTION jobmon._refresh_derived_rules_trigger();

--
-- Name: task_instance task_instance_task_is_fixed; Type: TRIGGER; Schema: jobmon; Owner: -
--

CREATE TRIGGER task_instance_task_is_fixed BEFORE UPDATE OF task_id ON jobmon.task_instance FOR EACH ROW EXECUTE FUNCTION jobmon._refuse_task_change();

--
-- Name: task track_status_xid; Type: TRIGGER; Schema: jobmon; Owner: -
--

CREATE TRIGGER track_status_xid BEFORE UPDATE OF status ON jobmon.task FOR EACH ROW WHEN ((old.status IS DISTINCT FROM new.status)) EXECUTE FUNCTION jobmon._track_task_status_xid();

--
-- Name: array array_workflow_id_fkey; Type: FK CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon."array"
    ADD CONSTRAINT array_workflow_id_fkey FOREIGN KEY (workflow_id) REFERENCES jobmon.workflow(id);

--
-- Name: task task_array_id_fkey; Type: FK CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task
    ADD CONSTRAINT task_array_id_fkey FOREIGN KEY (array_id) REFERENCES jobmon."array"(id);

--
-- Name: task_instance task_instance_array_id_fkey; Type: FK CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_instance
    ADD CONSTRAINT task_instance_array_id_fkey FOREIGN KEY (array_id) REFERENCES jobmon."array"(id);

--
-- Name: task_instance_error_log task_instance_error_log_task_instance_id_fkey; Type: FK CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_instance_error_log
    ADD CONSTRAINT task_instance_error_log_task_instance_id_fkey FOREIGN KEY (task_instance_id) REFERENCES jobmon.task_instance(id);

--
-- Name: task_instance task_instance_task_id_fkey; Type: FK CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_instance
    ADD CONSTRAINT task_instance_task_id_fkey FOREIGN KEY (task_id) REFERENCES jobmon.task(id);

--
-- Name: task_instance task_instance_task_resources_id_fkey; Type: FK CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_instance
    ADD CONSTRAINT task_instance_task_resources_id_fkey FOREIGN KEY (task_resources_id) REFERENCES jobmon.task_resources(id);

--
-- Name: task_instance_transition task_instance_transition_from_status_fkey; Type: FK CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_instance_transition
    ADD CONSTRAINT task_instance_transition_from_status_fkey FOREIGN KEY (from_status) REFERENCES jobmon.task_instance_status(id);

--
-- Name: task_instance_transition task_instance_transition_to_status_fkey; Type: FK CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_instance_transition
    ADD CONSTRAINT task_instance_transition_to_status_fkey FOREIGN KEY (to_status) REFERENCES jobmon.task_instance_status(id);

--
-- Name: task_instance task_instance_workflow_run_id_fkey; Type: FK CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_instance
    ADD CONSTRAINT task_instance_workflow_run_id_fkey FOREIGN KEY (workflow_run_id) REFERENCES jobmon.workflow_run(id);

--
-- Name: task task_task_resources_id_fkey; Type: FK CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task
    ADD CONSTRAINT task_task_resources_id_fkey FOREIGN KEY (task_resources_id) REFERENCES jobmon.task_resources(id);

--
-- Name: task_transition task_transition_from_status_fkey; Type: FK CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_transition
    ADD CONSTRAINT task_transition_from_status_fkey FOREIGN KEY (from_status) REFERENCES jobmon.task_status(id);

--
-- Name: task_transition task_transition_to_status_fkey; Type: FK CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_transition
    ADD CONSTRAINT task_transition_to_status_fkey FOREIGN KEY (to_status) REFERENCES jobmon.task_status(id);

--
-- Name: task task_workflow_id_fkey; Type: FK CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task
    ADD CONSTRAINT task_workflow_id_fkey FOREIGN KEY (workflow_id) REFERENCES jobmon.workflow(id);

--
-- Name: workflow_run workflow_run_workflow_id_fkey; Type: FK CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.workflow_run
    ADD CONSTRAINT workflow_run_workflow_id_fkey FOREIGN KEY (workflow_id) REFERENCES jobmon.workflow(id);

--
-- Name: SCHEMA jobmon; Type: ACL; Schema: -; Owner: -
--

GRANT USAGE ON SCHEMA jobmon TO jobmon_app;
GRANT USAGE ON SCHEMA jobmon TO jobmon_distributor;
GRANT USAGE ON SCHEMA jobmon TO jobmon_readonly;
GRANT USAGE ON SCHEMA jobmon TO jobmon_swarm;
GRANT USAGE ON SCHEMA jobmon TO jobmon_worker_node;

--
-- Name: FUNCTION _array_id_task_instance_statuses(); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._array_id_task_instance_statuses() FROM PUBLIC;

--
-- Name: FUNCTION _attempts_left(num_attempts integer, max_attempts integer); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._attempts_left(num_attempts integer, max_attempts integer) FROM PUBLIC;

--
-- Name: FUNCTION _call_site_result(task_instance_id bigint, outcome text, previous_status text, stale boolean, error_description text); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._call_site_result(task_instance_id bigint, outcome text, previous_status text, stale boolean, error_description text) FROM PUBLIC;

--
-- Name: FUNCTION _check_usage(nodename text, stdout text, stderr text, wallclock text, maxrss text, maxpss text, cpu text, io text, usage_str text); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._check_usage(nodename text, stdout text, stderr text, wallclock text, maxrss text, maxpss text, cpu text, io text, usage_str text) FROM PUBLIC;

--
-- Name: FUNCTION _check_usage(nodename text, stdout text, stderr text, stdout_log text, stderr_log text, wallclock text, maxrss text, maxpss text, cpu text, io text, usage_str text); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._check_usage(nodename text, stdout text, stderr text, stdout_log text, stderr_log text, wallclock text, maxrss text, maxpss text, cpu text, io text, usage_str text) FROM PUBLIC;

--
-- Name: FUNCTION _cut(value text); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._cut(value text) FROM PUBLIC;

--
-- Name: FUNCTION _distributor_id_outcome(recorded text, given text); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._distributor_id_outcome(recorded text, given text) FROM PUBLIC;

--
-- Name: FUNCTION _ensure_trigger(on_table regclass, trigger_name name, definition text); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._ensure_trigger(on_table regclass, trigger_name name, definition text) FROM PUBLIC;

--
-- Name: FUNCTION _error_task_instance_statuses(); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._error_task_instance_statuses() FROM PUBLIC;

--
-- Name: FUNCTION _feed_cluster_tag(); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._feed_cluster_tag() FROM PUBLIC;

--
-- Name: FUNCTION _heartbeat_task_instance_statuses(); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._heartbeat_task_instance_statuses() FROM PUBLIC;

--
-- Name: FUNCTION _launched_task_instance_statuses(); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._launched_task_instance_statuses() FROM PUBLIC;

--
-- Name: FUNCTION _live_task_instance_statuses(); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._live_task_instance_statuses() FROM PUBLIC;

--
-- Name: FUNCTION _lock_task_instance(task_instance_id bigint, OUT status text, OUT task_id bigint, OUT task_status text, OUT stale boolean, OUT report_by_date timestamp with time zone, OUT distributor_id text); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._lock_task_instance(task_instance_id bigint, OUT status text, OUT task_id bigint, OUT task_status text, OUT stale boolean, OUT report_by_date timestamp with time zone, OUT distributor_id text) FROM PUBLIC;

--
-- Name: FUNCTION _lock_tasks(task_ids bigint[], skip_locked boolean); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._lock_tasks(task_ids bigint[], skip_locked boolean) FROM PUBLIC;

--
-- Name: FUNCTION _may_reset(status text); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._may_reset(status text) FROM PUBLIC;

--
-- Name: FUNCTION _move_task_instances(task_instance_ids bigint[], new_status text, from_statuses text[], task_statuses text[], report_by_date timestamp with time zone, set_submitted_date boolean, function_name text); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._move_task_instances(task_instance_ids bigint[], new_status text, from_statuses text[], task_statuses text[], report_by_date timestamp with time zone, set_submitted_date boolean, function_name text) FROM PUBLIC;

--
-- Name: FUNCTION _privileges(); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._privileges() FROM PUBLIC;

--
-- Name: FUNCTION _queueable_task_statuses(); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._queueable_task_statuses() FROM PUBLIC;

--
-- Name: FUNCTION _refresh_derived_rules(); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._refresh_derived_rules() FROM PUBLIC;

--
-- Name: FUNCTION _refresh_derived_rules_trigger(); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._refresh_derived_rules_trigger() FROM PUBLIC;

--
-- Name: FUNCTION _refuse_task_change(); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._refuse_task_change() FROM PUBLIC;

--
-- Name: FUNCTION _require_batch_size(argument text, elements integer); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._require_batch_size(argument text, elements integer) FROM PUBLIC;

--
-- Name: FUNCTION _require_description(description text); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._require_description(description text) FROM PUBLIC;

--
-- Name: FUNCTION _require_distributor_id(distributor_id text, may_be_null boolean); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._require_distributor_id(distributor_id text, may_be_null boolean) FROM PUBLIC;

--
-- Name: FUNCTION _require_found(table_name text, model text, not_found_errcode text, id bigint, row_exists boolean); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._require_found(table_name text, model text, not_found_errcode text, id bigint, row_exists boolean) FROM PUBLIC;

--
-- Name: FUNCTION _require_interval(argument text, value interval); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._require_interval(argument text, value interval) FROM PUBLIC;

--
-- Name: FUNCTION _require_interval(argument text, value interval, may_be_zero boolean); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._require_interval(argument text, value interval, may_be_zero boolean) FROM PUBLIC;

--
-- Name: FUNCTION _require_length(argument text, value text, max_length integer); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._require_length(argument text, value text, max_length integer) FROM PUBLIC;

--
-- Name: FUNCTION _require_workflow(workflow_id bigint); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._require_workflow(workflow_id bigint) FROM PUBLIC;

--
-- Name: FUNCTION _require_workflow_run(workflow_run_id bigint); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._require_workflow_run(workflow_run_id bigint) FROM PUBLIC;

--
-- Name: FUNCTION _resets_on_resume(status text, reset_running boolean); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._resets_on_resume(status text, reset_running boolean) FROM PUBLIC;

--
-- Name: FUNCTION _secure_schema(); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._secure_schema() FROM PUBLIC;

--
-- Name: FUNCTION _status_check(lookup regclass); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._status_check(lookup regclass) FROM PUBLIC;

--
-- Name: FUNCTION _task_instance_move_rule(from_status text, to_status text, task_status text, attempts_left boolean); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._task_instance_move_rule(from_status text, to_status text, task_status text, attempts_left boolean) FROM PUBLIC;

--
-- Name: TABLE task_instance_move; Type: ACL; Schema: jobmon; Owner: -
--

GRANT SELECT ON TABLE jobmon.task_instance_move TO jobmon_app;
GRANT SELECT ON TABLE jobmon.task_instance_move TO jobmon_readonly;

--
-- Name: FUNCTION _task_instance_moves_from_rules(); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._task_instance_moves_from_rules() FROM PUBLIC;

--
-- Name: FUNCTION _track_task_status_xid(); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._track_task_status_xid() FROM PUBLIC;

--
-- Name: FUNCTION _transition_task_instance(task_instance_id bigint, new_status text, columns jsonb); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._transition_task_instance(task_instance_id bigint, new_status text, columns jsonb) FROM PUBLIC;

--
-- Name: FUNCTION _transition_task_instance(task_instance_id bigint, new_status text, columns jsonb, function_name text); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._transition_task_instance(task_instance_id bigint, new_status text, columns jsonb, function_name text) FROM PUBLIC;

--
-- Name: FUNCTION _triaged_task_instance_statuses(); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._triaged_task_instance_statuses() FROM PUBLIC;

--
-- Name: FUNCTION _unlaunched_task_instance_statuses(); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._unlaunched_task_instance_statuses() FROM PUBLIC;

--
-- Name: FUNCTION _usable_distributor_id(distributor_id text); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._usable_distributor_id(distributor_id text) FROM PUBLIC;

--
-- Name: FUNCTION _usage(nodename text, stdout text, stderr text, stdout_log text, stderr_log text, wallclock text, maxrss text, maxpss text, cpu text, io text, usage_str text); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._usage(nodename text, stdout text, stderr text, stdout_log text, stderr_log text, wallclock text, maxrss text, maxpss text, cpu text, io text, usage_str text) FROM PUBLIC;

--
-- Name: FUNCTION _worker_node_task_instance(task_instance_id bigint); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon._worker_node_task_instance(task_instance_id bigint) FROM PUBLIC;

--
-- Name: FUNCTION array_task_instance(array_id bigint, array_batch_num integer, array_step_id integer); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon.array_task_instance(array_id bigint, array_batch_num integer, array_step_id integer) FROM PUBLIC;
GRANT ALL ON FUNCTION jobmon.array_task_instance(array_id bigint, array_batch_num integer, array_step_id integer) TO jobmon_app;
GRANT ALL ON FUNCTION jobmon.array_task_instance(array_id bigint, array_batch_num integer, array_step_id integer) TO jobmon_readonly;
GRANT ALL ON FUNCTION jobmon.array_task_instance(array_id bigint, array_batch_num integer, array_step_id integer) TO jobmon_worker_node;

--
-- Name: FUNCTION bind_tasks(workflow_id bigint, node_ids bigint[], task_args_hashes text[], array_ids bigint[], task_resources_ids bigint[], names text[], commands text[], max_attempts_per_task integer[], resource_scales text[], fallback_queues text[], reset_if_running boolean[]); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon.bind_tasks(workflow_id bigint, node_ids bigint[], task_args_hashes text[], array_ids bigint[], task_resources_ids bigint[], names text[], commands text[], max_attempts_per_task integer[], resource_scales text[], fallback_queues text[], reset_if_running boolean[]) FROM PUBLIC;
GRANT ALL ON FUNCTION jobmon.bind_tasks(workflow_id bigint, node_ids bigint[], task_args_hashes text[], array_ids bigint[], task_resources_ids bigint[], names text[], commands text[], max_attempts_per_task integer[], resource_scales text[], fallback_queues text[], reset_if_running boolean[]) TO jobmon_app;

--
-- Name: FUNCTION derived_rules_drift(); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon.derived_rules_drift() FROM PUBLIC;
GRANT ALL ON FUNCTION jobmon.derived_rules_drift() TO jobmon_app;
GRANT ALL ON FUNCTION jobmon.derived_rules_drift() TO jobmon_readonly;

--
-- Name: FUNCTION describe_statuses(codes text[]); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon.describe_statuses(codes text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION jobmon.describe_statuses(codes text[]) TO jobmon_app;
GRANT ALL ON FUNCTION jobmon.describe_statuses(codes text[]) TO jobmon_readonly;

--
-- Name: FUNCTION describe_task_instance_transitions_from(status text); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon.describe_task_instance_transitions_from(status text) FROM PUBLIC;
GRANT ALL ON FUNCTION jobmon.describe_task_instance_transitions_from(status text) TO jobmon_app;
GRANT ALL ON FUNCTION jobmon.describe_task_instance_transitions_from(status text) TO jobmon_readonly;

--
-- Name: FUNCTION distributor_task_instances(task_instance_ids bigint[]); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon.distributor_task_instances(task_instance_ids bigint[]) FROM PUBLIC;
GRANT ALL ON FUNCTION jobmon.distributor_task_instances(task_instance_ids bigint[]) TO jobmon_app;
GRANT ALL ON FUNCTION jobmon.distributor_task_instances(task_instance_ids bigint[]) TO jobmon_distributor;
GRANT ALL ON FUNCTION jobmon.distributor_task_instances(task_instance_ids bigint[]) TO jobmon_readonly;

--
-- Name: FUNCTION history_enabled(); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon.history_enabled() FROM PUBLIC;
GRANT ALL ON FUNCTION jobmon.history_enabled() TO jobmon_app;
GRANT ALL ON FUNCTION jobmon.history_enabled() TO jobmon_readonly;

--
-- Name: FUNCTION instantiate_task_instances(task_instance_ids bigint[]); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon.instantiate_task_instances(task_instance_ids bigint[]) FROM PUBLIC;
GRANT ALL ON FUNCTION jobmon.instantiate_task_instances(task_instance_ids bigint[]) TO jobmon_app;
GRANT ALL ON FUNCTION jobmon.instantiate_task_instances(task_instance_ids bigint[]) TO jobmon_distributor;

--
-- Name: FUNCTION kill_task_instances(task_instance_ids bigint[]); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon.kill_task_instances(task_instance_ids bigint[]) FROM PUBLIC;
GRANT ALL ON FUNCTION jobmon.kill_task_instances(task_instance_ids bigint[]) TO jobmon_app;
GRANT ALL ON FUNCTION jobmon.kill_task_instances(task_instance_ids bigint[]) TO jobmon_distributor;

--
-- Name: FUNCTION launch_array_batch(array_id bigint, array_batch_num integer, next_report_increment interval); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon.launch_array_batch(array_id bigint, array_batch_num integer, next_report_increment interval) FROM PUBLIC;
GRANT ALL ON FUNCTION jobmon.launch_array_batch(array_id bigint, array_batch_num integer, next_report_increment interval) TO jobmon_app;
GRANT ALL ON FUNCTION jobmon.launch_array_batch(array_id bigint, array_batch_num integer, next_report_increment interval) TO jobmon_distributor;

--
-- Name: FUNCTION log_array_distributor_ids(array_id bigint, array_batch_num integer, array_step_ids integer[], distributor_ids text[]); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon.log_array_distributor_ids(array_id bigint, array_batch_num integer, array_step_ids integer[], distributor_ids text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION jobmon.log_array_distributor_ids(array_id bigint, array_batch_num integer, array_step_ids integer[], distributor_ids text[]) TO jobmon_app;
GRANT ALL ON FUNCTION jobmon.log_array_distributor_ids(array_id bigint, array_batch_num integer, array_step_ids integer[], distributor_ids text[]) TO jobmon_distributor;

--
-- Name: FUNCTION log_distributor_id(task_instance_id bigint, distributor_id text, next_report_increment interval); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon.log_distributor_id(task_instance_id bigint, distributor_id text, next_report_increment interval) FROM PUBLIC;
GRANT ALL ON FUNCTION jobmon.log_distributor_id(task_instance_id bigint, distributor_id text, next_report_increment interval) TO jobmon_app;
GRANT ALL ON FUNCTION jobmon.log_distributor_id(task_instance_id bigint, distributor_id text, next_report_increment interval) TO jobmon_distributor;

--
-- Name: FUNCTION log_done(task_instance_id bigint, nodename text, stdout text, stderr text, stdout_log text, stderr_log text, wallclock text, maxrss text, maxpss text, cpu text, io text, usage_str text); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon.log_done(task_instance_id bigint, nodename text, stdout text, stderr text, stdout_log text, stderr_log text, wallclock text, maxrss text, maxpss text, cpu text, io text, usage_str text) FROM PUBLIC;
GRANT ALL ON FUNCTION jobmon.log_done(task_instance_id bigint, nodename text, stdout text, stderr text, stdout_log text, stderr_log text, wallclock text, maxrss text, maxpss text, cpu text, io text, usage_str text) TO jobmon_app;
GRANT ALL ON FUNCTION jobmon.log_done(task_instance_id bigint, nodename text, stdout text, stderr text, stdout_log text, stderr_log text, wallclock text, maxrss text, maxpss text, cpu text, io text, usage_str text) TO jobmon_worker_node;

--
-- Name: FUNCTION log_error(task_instance_id bigint, error_state text, description text, nodename text, stdout text, stderr text, stdout_log text, stderr_log text, wallclock text, maxrss text, maxpss text, cpu text, io text, usage_str text); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon.log_error(task_instance_id bigint, error_state text, description text, nodename text, stdout text, stderr text, stdout_log text, stderr_log text, wallclock text, maxrss text, maxpss text, cpu text, io text, usage_str text) FROM PUBLIC;
GRANT ALL ON FUNCTION jobmon.log_error(task_instance_id bigint, error_state text, description text, nodename text, stdout text, stderr text, stdout_log text, stderr_log text, wallclock text, maxrss text, maxpss text, cpu text, io text, usage_str text) TO jobmon_app;
GRANT ALL ON FUNCTION jobmon.log_error(task_instance_id bigint, error_state text, description text, nodename text, stdout text, stderr text, stdout_log text, stderr_log text, wallclock text, maxrss text, maxpss text, cpu text, io text, usage_str text) TO jobmon_distributor;
GRANT ALL ON FUNCTION jobmon.log_error(task_instance_id bigint, error_state text, description text, nodename text, stdout text, stderr text, stdout_log text, stderr_log text, wallclock text, maxrss text, maxpss text, cpu text, io text, usage_str text) TO jobmon_worker_node;

--
-- Name: FUNCTION log_heartbeat(task_instance_id bigint, next_report_increment interval); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon.log_heartbeat(task_instance_id bigint, next_report_increment interval) FROM PUBLIC;
GRANT ALL ON FUNCTION jobmon.log_heartbeat(task_instance_id bigint, next_report_increment interval) TO jobmon_app;
GRANT ALL ON FUNCTION jobmon.log_heartbeat(task_instance_id bigint, next_report_increment interval) TO jobmon_worker_node;

--
-- Name: FUNCTION log_heartbeats(task_instance_ids bigint[], next_report_increment interval); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon.log_heartbeats(task_instance_ids bigint[], next_report_increment interval) FROM PUBLIC;
GRANT ALL ON FUNCTION jobmon.log_heartbeats(task_instance_ids bigint[], next_report_increment interval) TO jobmon_app;
GRANT ALL ON FUNCTION jobmon.log_heartbeats(task_instance_ids bigint[], next_report_increment interval) TO jobmon_distributor;

--
-- Name: FUNCTION log_no_distributor_id(task_instance_id bigint, description text); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon.log_no_distributor_id(task_instance_id bigint, description text) FROM PUBLIC;
GRANT ALL ON FUNCTION jobmon.log_no_distributor_id(task_instance_id bigint, description text) TO jobmon_app;
GRANT ALL ON FUNCTION jobmon.log_no_distributor_id(task_instance_id bigint, description text) TO jobmon_distributor;

--
-- Name: FUNCTION log_running(task_instance_id bigint, nodename text, process_group_id integer, next_report_increment interval, distributor_id text); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon.log_running(task_instance_id bigint, nodename text, process_group_id integer, next_report_increment interval, distributor_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION jobmon.log_running(task_instance_id bigint, nodename text, process_group_id integer, next_report_increment interval, distributor_id text) TO jobmon_app;
GRANT ALL ON FUNCTION jobmon.log_running(task_instance_id bigint, nodename text, process_group_id integer, next_report_increment interval, distributor_id text) TO jobmon_worker_node;

--
-- Name: FUNCTION log_unknown_error(task_instance_id bigint, description text); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon.log_unknown_error(task_instance_id bigint, description text) FROM PUBLIC;
GRANT ALL ON FUNCTION jobmon.log_unknown_error(task_instance_id bigint, description text) TO jobmon_app;
GRANT ALL ON FUNCTION jobmon.log_unknown_error(task_instance_id bigint, description text) TO jobmon_distributor;

--
-- Name: FUNCTION queue_task_batch(task_ids bigint[], array_id bigint, task_resources_id bigint, workflow_run_id bigint); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon.queue_task_batch(task_ids bigint[], array_id bigint, task_resources_id bigint, workflow_run_id bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION jobmon.queue_task_batch(task_ids bigint[], array_id bigint, task_resources_id bigint, workflow_run_id bigint) TO jobmon_app;
GRANT ALL ON FUNCTION jobmon.queue_task_batch(task_ids bigint[], array_id bigint, task_resources_id bigint, workflow_run_id bigint) TO jobmon_swarm;

--
-- Name: FUNCTION require_task_instance_status(status text); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon.require_task_instance_status(status text) FROM PUBLIC;
GRANT ALL ON FUNCTION jobmon.require_task_instance_status(status text) TO jobmon_app;
GRANT ALL ON FUNCTION jobmon.require_task_instance_status(status text) TO jobmon_readonly;

--
-- Name: FUNCTION reset_tasks_for_resume(workflow_id bigint, reset_running boolean); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon.reset_tasks_for_resume(workflow_id bigint, reset_running boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION jobmon.reset_tasks_for_resume(workflow_id bigint, reset_running boolean) TO jobmon_app;
GRANT ALL ON FUNCTION jobmon.reset_tasks_for_resume(workflow_id bigint, reset_running boolean) TO jobmon_swarm;

--
-- Name: FUNCTION set_history(enabled boolean); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon.set_history(enabled boolean) FROM PUBLIC;

--
-- Name: TABLE transition_history; Type: ACL; Schema: jobmon; Owner: -
--

GRANT SELECT ON TABLE jobmon.transition_history TO jobmon_app;
GRANT SELECT ON TABLE jobmon.transition_history TO jobmon_readonly;

--
-- Name: FUNCTION task_instance_history(task_instance_id bigint); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon.task_instance_history(task_instance_id bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION jobmon.task_instance_history(task_instance_id bigint) TO jobmon_app;
GRANT ALL ON FUNCTION jobmon.task_instance_history(task_instance_id bigint) TO jobmon_readonly;

--
-- Name: FUNCTION task_moves_on_entering(task_instance_status text, num_attempts integer, max_attempts integer); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon.task_moves_on_entering(task_instance_status text, num_attempts integer, max_attempts integer) FROM PUBLIC;
GRANT ALL ON FUNCTION jobmon.task_moves_on_entering(task_instance_status text, num_attempts integer, max_attempts integer) TO jobmon_app;
GRANT ALL ON FUNCTION jobmon.task_moves_on_entering(task_instance_status text, num_attempts integer, max_attempts integer) TO jobmon_readonly;

--
-- Name: FUNCTION task_status_changes(workflow_id bigint, after bigint); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon.task_status_changes(workflow_id bigint, after bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION jobmon.task_status_changes(workflow_id bigint, after bigint) TO jobmon_app;
GRANT ALL ON FUNCTION jobmon.task_status_changes(workflow_id bigint, after bigint) TO jobmon_readonly;
GRANT ALL ON FUNCTION jobmon.task_status_changes(workflow_id bigint, after bigint) TO jobmon_swarm;

--
-- Name: FUNCTION terminate_workflow_run(workflow_run_id bigint, hot boolean); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon.terminate_workflow_run(workflow_run_id bigint, hot boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION jobmon.terminate_workflow_run(workflow_run_id bigint, hot boolean) TO jobmon_app;
GRANT ALL ON FUNCTION jobmon.terminate_workflow_run(workflow_run_id bigint, hot boolean) TO jobmon_swarm;

--
-- Name: FUNCTION transition_task_instance(task_instance_id bigint, new_status text); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon.transition_task_instance(task_instance_id bigint, new_status text) FROM PUBLIC;
GRANT ALL ON FUNCTION jobmon.transition_task_instance(task_instance_id bigint, new_status text) TO jobmon_app;

--
-- Name: FUNCTION triage_overdue(workflow_run_id bigint, launched_grace interval); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon.triage_overdue(workflow_run_id bigint, launched_grace interval) FROM PUBLIC;
GRANT ALL ON FUNCTION jobmon.triage_overdue(workflow_run_id bigint, launched_grace interval) TO jobmon_app;
GRANT ALL ON FUNCTION jobmon.triage_overdue(workflow_run_id bigint, launched_grace interval) TO jobmon_swarm;

--
-- Name: FUNCTION worker_node_task_instance(task_instance_id bigint); Type: ACL; Schema: jobmon; Owner: -
--

REVOKE ALL ON FUNCTION jobmon.worker_node_task_instance(task_instance_id bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION jobmon.worker_node_task_instance(task_instance_id bigint) TO jobmon_app;
GRANT ALL ON FUNCTION jobmon.worker_node_task_instance(task_instance_id bigint) TO jobmon_readonly;
GRANT ALL ON FUNCTION jobmon.worker_node_task_instance(task_instance_id bigint) TO jobmon_worker_node;

--
-- Name: TABLE "array"; Type: ACL; Schema: jobmon; Owner: -
--

GRANT SELECT ON TABLE jobmon."array" TO jobmon_app;
GRANT SELECT ON TABLE jobmon."array" TO jobmon_readonly;

--
-- Name: COLUMN "array".workflow_id; Type: ACL; Schema: jobmon; Owner: -
--

GRANT INSERT(workflow_id),UPDATE(workflow_id) ON TABLE jobmon."array" TO jobmon_app;

--
-- Name: COLUMN "array".name; Type: ACL; Schema: jobmon; Owner: -
--

GRANT INSERT(name),UPDATE(name) ON TABLE jobmon."array" TO jobmon_app;

--
-- Name: COLUMN "array".task_template_version_id; Type: ACL; Schema: jobmon; Owner: -
--

GRANT INSERT(task_template_version_id),UPDATE(task_template_version_id) ON TABLE jobmon."array" TO jobmon_app;

--
-- Name: COLUMN "array".max_concurrently_running; Type: ACL; Schema: jobmon; Owner: -
--

GRANT INSERT(max_concurrently_running),UPDATE(max_concurrently_running) ON TABLE jobmon."array" TO jobmon_app;

--
-- Name: COLUMN "array".created_date; Type: ACL; Schema: jobmon; Owner: -
--

GRANT INSERT(created_date),UPDATE(created_date) ON TABLE jobmon."array" TO jobmon_app;

--
-- Name: TABLE deployment_role; Type: ACL; Schema: jobmon; Owner: -
--

GRANT SELECT ON TABLE jobmon.deployment_role TO jobmon_app;
GRANT SELECT ON TABLE jobmon.deployment_role TO jobmon_readonly;

--
-- Name: TABLE history_setting; Type: ACL; Schema: jobmon; Owner: -
--

GRANT SELECT ON TABLE jobmon.history_setting TO jobmon_app;
GRANT SELECT ON TABLE jobmon.history_setting TO jobmon_readonly;

--
-- Name: TABLE installed_release; Type: ACL; Schema: jobmon; Owner: -
--

GRANT SELECT ON TABLE jobmon.installed_release TO jobmon_app;
GRANT SELECT ON TABLE jobmon.installed_release TO jobmon_readonly;

--
-- Name: TABLE installed_routine; Type: ACL; Schema: jobmon; Owner: -
--

GRANT SELECT ON TABLE jobmon.installed_routine TO jobmon_app;
GRANT SELECT ON TABLE jobmon.installed_routine TO jobmon_readonly;

--
-- Name: TABLE repeatable_sql; Type: ACL; Schema: jobmon; Owner: -
--

GRANT SELECT ON TABLE jobmon.repeatable_sql TO jobmon_app;
GRANT SELECT ON TABLE jobmon.repeatable_sql TO jobmon_readonly;

--
-- Name: TABLE task; Type: ACL; Schema: jobmon; Owner: -
--

GRANT SELECT ON TABLE jobmon.task TO jobmon_app;
GRANT SELECT ON TABLE jobmon.task TO jobmon_readonly;

--
-- Name: COLUMN task.workflow_id; Type: ACL; Schema: jobmon; Owner: -
--

GRANT INSERT(workflow_id) ON TABLE jobmon.task TO jobmon_app;

--
-- Name: COLUMN task.node_id; Type: ACL; Schema: jobmon; Owner: -
--

GRANT INSERT(node_id) ON TABLE jobmon.task TO jobmon_app;

--
-- Name: COLUMN task.task_args_hash; Type: ACL; Schema: jobmon; Owner: -
--

GRANT INSERT(task_args_hash) ON TABLE jobmon.task TO jobmon_app;

--
-- Name: COLUMN task.array_id; Type: ACL; Schema: jobmon; Owner: -
--

GRANT INSERT(array_id) ON TABLE jobmon.task TO jobmon_app;

--
-- Name: COLUMN task.name; Type: ACL; Schema: jobmon; Owner: -
--

GRANT INSERT(name) ON TABLE jobmon.task TO jobmon_app;

--
-- Name: COLUMN task.command; Type: ACL; Schema: jobmon; Owner: -
--

GRANT INSERT(command) ON TABLE jobmon.task TO jobmon_app;

--
-- Name: COLUMN task.task_resources_id; Type: ACL; Schema: jobmon; Owner: -
--

GRANT INSERT(task_resources_id) ON TABLE jobmon.task TO jobmon_app;

--
-- Name: COLUMN task.max_attempts; Type: ACL; Schema: jobmon; Owner: -
--

GRANT INSERT(max_attempts) ON TABLE jobmon.task TO jobmon_app;

--
-- Name: COLUMN task.resource_scales; Type: ACL; Schema: jobmon; Owner: -
--

GRANT INSERT(resource_scales) ON TABLE jobmon.task TO jobmon_app;

--
-- Name: COLUMN task.fallback_queues; Type: ACL; Schema: jobmon; Owner: -
--

GRANT INSERT(fallback_queues) ON TABLE jobmon.task TO jobmon_app;

--
-- Name: TABLE task_instance; Type: ACL; Schema: jobmon; Owner: -
--

GRANT SELECT ON TABLE jobmon.task_instance TO jobmon_app;
GRANT SELECT ON TABLE jobmon.task_instance TO jobmon_readonly;

--
-- Name: TABLE task_instance_error_log; Type: ACL; Schema: jobmon; Owner: -
--

GRANT SELECT ON TABLE jobmon.task_instance_error_log TO jobmon_app;
GRANT SELECT ON TABLE jobmon.task_instance_error_log TO jobmon_readonly;

--
-- Name: TABLE task_instance_status; Type: ACL; Schema: jobmon; Owner: -
--

GRANT SELECT ON TABLE jobmon.task_instance_status TO jobmon_app;
GRANT SELECT ON TABLE jobmon.task_instance_status TO jobmon_readonly;

--
-- Name: TABLE task_instance_transition; Type: ACL; Schema: jobmon; Owner: -
--

GRANT SELECT ON TABLE jobmon.task_instance_transition TO jobmon_app;
GRANT SELECT ON TABLE jobmon.task_instance_transition TO jobmon_readonly;

--
-- Name: TABLE task_resources; Type: ACL; Schema: jobmon; Owner: -
--

GRANT SELECT,INSERT,UPDATE ON TABLE jobmon.task_resources TO jobmon_app;
GRANT SELECT ON TABLE jobmon.task_resources TO jobmon_readonly;

--
-- Name: TABLE task_status; Type: ACL; Schema: jobmon; Owner: -
--

GRANT SELECT ON TABLE jobmon.task_status TO jobmon_app;
GRANT SELECT ON TABLE jobmon.task_status TO jobmon_readonly;

--
-- Name: TABLE task_transition; Type: ACL; Schema: jobmon; Owner: -
--

GRANT SELECT ON TABLE jobmon.task_transition TO jobmon_app;
GRANT SELECT ON TABLE jobmon.task_transition TO jobmon_readonly;

--
-- Name: TABLE workflow; Type: ACL; Schema: jobmon; Owner: -
--

GRANT SELECT,INSERT,UPDATE ON TABLE jobmon.workflow TO jobmon_app;
GRANT SELECT ON TABLE jobmon.workflow TO jobmon_readonly;

--
-- Name: TABLE workflow_run; Type: ACL; Schema: jobmon; Owner: -
--

GRANT SELECT,INSERT,UPDATE ON TABLE jobmon.workflow_run TO jobmon_app;
GRANT SELECT ON TABLE jobmon.workflow_run TO jobmon_readonly;

--
-- PostgreSQL database dump complete
--
