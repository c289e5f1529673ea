-- Internal functions of release 0.1.0 that its function bodies call, kept so
-- that a call of 0.1.0 in flight while `migrate` upgrades the database (it
-- started before the upgrade committed and plans its next statement after)
-- still finds them. Each hands over to what replaced it. Removed in 0.3.0
-- (docs/upgrades.md lists them). Applied repeatably by the post-apply step.

-- ---------------------------------------------------------------------------
-- jobmon._transition_task_instance(task_instance_id bigint, new_status text, columns jsonb)
--
-- 0.1.0's internal move: the move of jobmon._transition_task_instance() with
-- no function to credit (function_name NULL). Called by 0.1.0's route
-- bodies only. Locks and raises what that move does.
-- ---------------------------------------------------------------------------
create or replace function jobmon._transition_task_instance(task_instance_id bigint, new_status text, columns jsonb)
returns jobmon.task_instance_transition_result
language sql
volatile
set search_path = pg_catalog, pg_temp
as $$
    select * from jobmon._transition_task_instance(task_instance_id, new_status, columns, null::text)
$$;
comment on function jobmon._transition_task_instance(bigint, text, jsonb) is
    'Internal, for calls of release 0.1.0 in flight during an upgrade: the move of jobmon._transition_task_instance() credited to no function. Removed in 0.3.0.';

-- ---------------------------------------------------------------------------
-- jobmon._task_instance_move_rule(from_status text, to_status text,
--                                 task_status text, attempts_left boolean) returns text
--
-- 0.1.0's rule lookup, read from jobmon.task_instance_move: NULL for an
-- invalid pair, 'untimely', 'refused', or the task's status after the move
-- with '+' when the move counts an attempt. Called by 0.1.0's
-- transition_task_instance body only. Reads one row; locks nothing.
-- ---------------------------------------------------------------------------
create or replace function jobmon._task_instance_move_rule(
    from_status text, to_status text, task_status text, attempts_left boolean)
returns text
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
    select case when m.kind = 'untimely' then 'untimely'
                when m.task_to_status is null then 'refused'
                else m.task_to_status || case when m.adds_attempt then '+' else '' end end
      from jobmon.task_instance_move m
     where m.from_status = _task_instance_move_rule.from_status and m.to_status = _task_instance_move_rule.to_status
       and m.task_status = _task_instance_move_rule.task_status
       and m.attempts_left = _task_instance_move_rule.attempts_left
$$;
comment on function jobmon._task_instance_move_rule(text, text, text, boolean) is
    'Internal, for calls of release 0.1.0 in flight during an upgrade: the rule of jobmon.task_instance_move for one move (NULL invalid, ''untimely'', ''refused'', or the task''s next status with ''+'' when it counts an attempt). Removed in 0.3.0.';

-- ---------------------------------------------------------------------------
-- jobmon._require_interval(argument text, value interval) returns void
--
-- 0.1.0's check of a report-by increment: jobmon._require_interval() with
-- zero refused. Called by 0.1.0's route bodies only. Raises 22004, 22023.
-- ---------------------------------------------------------------------------
create or replace function jobmon._require_interval(argument text, value interval)
returns void
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
    select jobmon._require_interval(argument, value, false)
$$;
comment on function jobmon._require_interval(text, interval) is
    'Internal, for calls of release 0.1.0 in flight during an upgrade: jobmon._require_interval(argument, value, false). Removed in 0.3.0.';

-- ---------------------------------------------------------------------------
-- jobmon._check_usage(nodename, stdout, stderr, wallclock, maxrss, maxpss, cpu, io, usage_str text) returns void
--
-- 0.1.0's length check of a report's usage columns: jobmon._check_usage()
-- with no stdout_log and stderr_log. Called by 0.1.0's route bodies only.
-- Raises 22001.
-- ---------------------------------------------------------------------------
create or replace function jobmon._check_usage(
    nodename text, stdout text, stderr text, wallclock text, maxrss text, maxpss text, cpu text, io text,
    usage_str text)
returns void
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
    select jobmon._check_usage(nodename, stdout, stderr, null, null, wallclock, maxrss, maxpss, cpu, io, usage_str)
$$;
comment on function jobmon._check_usage(text, text, text, text, text, text, text, text, text) is
    'Internal, for calls of release 0.1.0 in flight during an upgrade: jobmon._check_usage() with no stdout_log and stderr_log. Removed in 0.3.0.';
