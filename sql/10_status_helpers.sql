-- Helpers of jobmon.transition_task_instance(): argument checks, the
-- cascade's list of task moves, and the texts its errors show.
-- Applied repeatably by the post-apply step (create or replace).

-- ---------------------------------------------------------------------------
-- jobmon.require_task_instance_status(status text) returns text
--
-- Returns its argument when it is a task-instance status code. Otherwise
-- raises 22004 (NULL) or 22023 (anything else, quoted cut to 200
-- characters), with the valid codes in DETAIL and, for a label or a
-- lower-case code, the code to use in HINT.
-- Called by: jobmon.transition_task_instance(); app and readonly may call it.
-- Reads only jobmon.task_instance_status; locks nothing.
-- ---------------------------------------------------------------------------
create or replace function jobmon.require_task_instance_status(status text)
returns text
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
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
comment on function jobmon.require_task_instance_status(text) is
    'Returns the argument if it is a task-instance status code, else raises 22004 (NULL) or 22023 (unknown code; DETAIL lists the valid codes).';

-- ---------------------------------------------------------------------------
-- jobmon.describe_statuses(codes text[]) returns text
--
-- 'I (INSTANTIATED), K (KILL_SELF)' for error messages; 'none' for an empty
-- list. Reads jobmon.task_instance_status; locks nothing.
-- ---------------------------------------------------------------------------
create or replace function jobmon.describe_statuses(codes text[])
returns text
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
    select coalesce(string_agg(format('%s (%s)', s.id, s.label), ', ' order by c.ord), 'none')
      from unnest(codes) with ordinality as c(code, ord)
      join jobmon.task_instance_status s on s.id = c.code;
$$;
comment on function jobmon.describe_statuses(text[]) is
    'Formats task-instance status codes with their labels for error messages: ''I (INSTANTIATED), K (KILL_SELF)''.';

-- ---------------------------------------------------------------------------
-- jobmon.describe_task_instance_transitions_from(status text) returns text
--
-- The DETAIL of a JM001 error: the valid and the untimely targets from a
-- status, read from jobmon.task_instance_transition. Locks nothing.
-- ---------------------------------------------------------------------------
create or replace function jobmon.describe_task_instance_transitions_from(status text)
returns text
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
    select format('Valid transitions from %s: %s. Untimely (ignored, not errors): %s.',
                  jobmon.describe_statuses(array[status]),
                  jobmon.describe_statuses(array(
                      select t.to_status from jobmon.task_instance_transition t
                       where t.from_status = status and t.kind = 'valid' order by t.to_status)),
                  jobmon.describe_statuses(array(
                      select t.to_status from jobmon.task_instance_transition t
                       where t.from_status = status and t.kind = 'untimely' order by t.to_status)));
$$;
comment on function jobmon.describe_task_instance_transitions_from(text) is
    'Lists the valid and untimely task-instance transitions from a status (the DETAIL of a JM001 error).';

-- ---------------------------------------------------------------------------
-- jobmon._attempts_left(num_attempts integer, max_attempts integer) returns boolean
--
-- Whether a task may still be tried again: the one place this rule is
-- written. The cascade (below) fails a task that has none left, and every
-- move uses it to pick its rule (the attempts_left column of
-- jobmon.task_instance_move). Pure; locks nothing.
--
-- It has no SET clause on purpose: a function with one is never inlined, and
-- the planner inlines this one into every statement that calls it, so it
-- costs nothing at run time. The operator is schema-qualified, so the
-- caller's search_path cannot change what it does.
-- ---------------------------------------------------------------------------
create or replace function jobmon._attempts_left(num_attempts integer, max_attempts integer)
returns boolean
language sql
immutable
parallel safe
as $$ select num_attempts operator(pg_catalog.<) max_attempts $$;
comment on function jobmon._attempts_left(integer, integer) is
    'Internal. Whether a task with num_attempts of max_attempts may be tried again (num_attempts < max_attempts).';

-- ---------------------------------------------------------------------------
-- jobmon.task_moves_on_entering(task_instance_status text, num_attempts integer,
--                               max_attempts integer) returns text[]
--
-- The task moves a task instance entering a status asks for, in order (the
-- cascade of the reference model's TaskInstance.transition()):
--   Q, I, O, R, D       -> the task status with the same code
--   W, E, U, Z (errors) -> E, then F if no attempts are left,
--                          else A for Z, else G
--   F                   -> E, then F
--   T, X, K             -> none
-- Each move is still checked against jobmon.task_transition by the caller.
-- Pure: reads and locks nothing.
--
-- Written in PL/pgSQL, not SQL, for speed: a SQL function with a SET clause
-- cannot be inlined and is parsed and planned again in every transaction
-- (about 40 us per transition); PL/pgSQL keeps it compiled per session.
-- ---------------------------------------------------------------------------
create or replace function jobmon.task_moves_on_entering(
    task_instance_status text, num_attempts integer, max_attempts integer)
returns text[]
language plpgsql
immutable
security definer
set search_path = pg_catalog, pg_temp
as $$
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
comment on function jobmon.task_moves_on_entering(text, integer, integer) is
    'The task moves, in order, that a task instance entering the given status asks for (the cascade). Error states W, E, U, Z give E then F (no attempts left), A (resource error) or G.';

-- ---------------------------------------------------------------------------
-- jobmon._cut(value text) returns text
--
-- Caller input as an error message may echo it: at most 200 characters,
-- then an ellipsis and the full length, so a huge argument never floods the
-- server log or the client. Every message, detail and hint that quotes a
-- caller's value passes it through this. Pure; locks nothing. Inlined (no
-- SET clause); the function it calls is schema-qualified.
-- ---------------------------------------------------------------------------
create or replace function jobmon._cut(value text)
returns text
language sql
immutable
parallel safe
as $$
    select case when pg_catalog.length(value) operator(pg_catalog.>) 200
                then pg_catalog.concat(pg_catalog.left(value, 200), '... (',
                                       pg_catalog.length(value), ' characters)')
                else value end
$$;
comment on function jobmon._cut(text) is
    'Internal. Caller input cut to at most 200 characters (then "... (N characters)") for quoting in an error message.';

-- ---------------------------------------------------------------------------
-- jobmon._require_batch_size(argument text, elements integer) returns void
--
-- Internal. The one limit on the ids (or steps) of one call of a set-based
-- function: at most 1,000,000 (Jobmon's batches are 500 tasks; its arrays
-- hundreds of thousands). Raises 54000 naming the argument and its size.
-- Called by every function taking an array of ids, before anything is read.
-- ---------------------------------------------------------------------------
create or replace function jobmon._require_batch_size(argument text, elements integer)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
    if elements > 1000000 then
        raise exception '% has % elements, at most 1000000 are accepted in one call', argument, elements
            using errcode = '54000',
                  hint = 'Split the batch into calls of at most 1000000 ids. Nothing was changed.';
    end if;
end;
$$;
comment on function jobmon._require_batch_size(text, integer) is
    'Internal. Raises 54000 when an array argument has more than 1000000 elements (the per-call limit of the set-based functions).';

-- ---------------------------------------------------------------------------
-- jobmon._require_interval(argument text, value interval, may_be_zero boolean)
--   returns void
--
-- Internal. The one rule for an interval argument added to (or taken from)
-- now(): report-by increments and triage_overdue's launched_grace. Raises
-- 22004 when NULL; 22023 when not positive (a report-by increment), or
-- negative (may_be_zero: a grace), or longer than 100 years (so now() plus
-- or minus it never overflows a timestamp). The value is shown justified
-- ('-00:01:00', not '-1 days +23:59:00'). Called before anything is read.
-- ---------------------------------------------------------------------------
create or replace function jobmon._require_interval(argument text, value interval, may_be_zero boolean)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
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
comment on function jobmon._require_interval(text, interval, boolean) is
    'Internal. Raises 22004 for a NULL interval argument, 22023 for one not positive (negative when may_be_zero) or longer than 100 years.';

-- ---------------------------------------------------------------------------
-- jobmon._usable_distributor_id(distributor_id text) returns boolean
--
-- Internal. Whether a cluster job id may be recorded: not NULL, not blank
-- (empty or only white space), at most 20 characters (the column). The one place this rule is written,
-- for log_distributor_id, log_running and log_array_distributor_ids.
-- Pure; inlined (no SET clause; every name schema-qualified).
-- ---------------------------------------------------------------------------
create or replace function jobmon._usable_distributor_id(distributor_id text)
returns boolean
language sql
immutable
parallel safe
as $$
    select distributor_id is not null
           and distributor_id operator(pg_catalog.!~) '^[[:space:]]*$'
           and pg_catalog.length(distributor_id) operator(pg_catalog.<=) 20
$$;
comment on function jobmon._usable_distributor_id(text) is
    'Internal. Whether a distributor (cluster job) id may be recorded: not NULL, not blank, at most 20 characters.';

-- ---------------------------------------------------------------------------
-- jobmon._distributor_id_outcome(recorded text, given text) returns text
--
-- Internal. What reporting the job id `given` for a task instance whose id
-- is `recorded` does, written once for every route that records one: a
-- recorded id is never replaced. 'record' when none is recorded, 'unchanged'
-- when it is the same, 'ignored' when another one is already recorded.
-- Pure; inlined.
-- ---------------------------------------------------------------------------
create or replace function jobmon._distributor_id_outcome(recorded text, given text)
returns text
language sql
immutable
parallel safe
as $$
    select case when recorded is null then 'record'
                when recorded operator(pg_catalog.=) given then 'unchanged'
                else 'ignored' end
$$;
comment on function jobmon._distributor_id_outcome(text, text) is
    'Internal. Recording a distributor id: ''record'' (none recorded), ''unchanged'' (the same) or ''ignored'' (another one is kept).';

-- ---------------------------------------------------------------------------
-- jobmon._require_distributor_id(distributor_id text, may_be_null boolean)
--   returns void
--
-- Internal. Raises unless jobmon._usable_distributor_id() accepts the id
-- (or it is NULL and may_be_null): 22004 NULL, 22023 blank, 22001 longer
-- than 20 characters. Names the argument, never echoes it.
-- ---------------------------------------------------------------------------
create or replace function jobmon._require_distributor_id(distributor_id text, may_be_null boolean)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
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
comment on function jobmon._require_distributor_id(text, boolean) is
    'Internal. Raises 22004 (NULL, unless may_be_null), 22023 (blank) or 22001 (over 20 characters) unless jobmon._usable_distributor_id() accepts the id.';

-- ---------------------------------------------------------------------------
-- The status sets of the routes, each named once. Each is a language sql
-- immutable function with no SET clause (like jobmon._attempts_left()): the
-- planner inlines it and folds it to a constant array, so `status = any
-- (jobmon._x())` plans as the literal list would and still proves a partial
-- index's predicate. Each returns text[] (the status columns are text).
-- ---------------------------------------------------------------------------

-- ---------------------------------------------------------------------------
-- jobmon._live_task_instance_statuses() returns text[]
--
-- The live task-instance statuses: every status with a valid move out (the
-- predicate of the partial index ix_task_instance_live_by_run, which a test
-- holds to this list). Used by: jobmon.terminate_workflow_run().
-- Pure; inlined (no SET clause: it names nothing search_path could change).
-- ---------------------------------------------------------------------------
create or replace function jobmon._live_task_instance_statuses()
returns text[]
language sql
immutable
parallel safe
as $$ select array['Q', 'I', 'O', 'R', 'T', 'X', 'K'] $$;
comment on function jobmon._live_task_instance_statuses() is
    'Internal. The live task-instance statuses (Q, I, O, R, T, X, K): those with a valid move out, the predicate of ix_task_instance_live_by_run.';

-- ---------------------------------------------------------------------------
-- jobmon._unlaunched_task_instance_statuses() returns text[]
--
-- The statuses of a task instance that never reached the cluster (queued,
-- instantiated). Used by: jobmon.instantiate_task_instances(),
-- jobmon.terminate_workflow_run().
-- Pure; inlined (no SET clause: it names nothing search_path could change).
-- ---------------------------------------------------------------------------
create or replace function jobmon._unlaunched_task_instance_statuses()
returns text[]
language sql
immutable
parallel safe
as $$ select array['Q', 'I'] $$;
comment on function jobmon._unlaunched_task_instance_statuses() is
    'Internal. The task-instance statuses that never reached the cluster (Q, I).';

-- ---------------------------------------------------------------------------
-- jobmon._launched_task_instance_statuses() returns text[]
--
-- The statuses of a launched task instance that has not finished: the ones
-- jobmon.log_distributor_id() records a missing job id on.
-- Pure; inlined (no SET clause: it names nothing search_path could change).
-- ---------------------------------------------------------------------------
create or replace function jobmon._launched_task_instance_statuses()
returns text[]
language sql
immutable
parallel safe
as $$ select array['O', 'R', 'T', 'X', 'K'] $$;
comment on function jobmon._launched_task_instance_statuses() is
    'Internal. The task-instance statuses launched and not finished (O, R, T, X, K): where log_distributor_id() records a missing job id.';

-- ---------------------------------------------------------------------------
-- jobmon._array_id_task_instance_statuses() returns text[]
--
-- The statuses on which jobmon.log_array_distributor_ids() records a job id
-- (launched, running).
-- Pure; inlined (no SET clause: it names nothing search_path could change).
-- ---------------------------------------------------------------------------
create or replace function jobmon._array_id_task_instance_statuses()
returns text[]
language sql
immutable
parallel safe
as $$ select array['O', 'R'] $$;
comment on function jobmon._array_id_task_instance_statuses() is
    'Internal. The task-instance statuses on which log_array_distributor_ids() records a job id (O, R).';

-- ---------------------------------------------------------------------------
-- jobmon._heartbeat_task_instance_statuses() returns text[]
--
-- The statuses whose report_by_date a worker's heartbeat pushes (launched,
-- running, triaging). Used by: jobmon.log_heartbeat().
-- Pure; inlined (no SET clause: it names nothing search_path could change).
-- ---------------------------------------------------------------------------
create or replace function jobmon._heartbeat_task_instance_statuses()
returns text[]
language sql
immutable
parallel safe
as $$ select array['O', 'R', 'T'] $$;
comment on function jobmon._heartbeat_task_instance_statuses() is
    'Internal. The task-instance statuses a worker heartbeat pushes (O, R, T).';

-- ---------------------------------------------------------------------------
-- jobmon._triaged_task_instance_statuses() returns text[]
--
-- The statuses the triage sweep looks at when overdue (R -> T, O -> X).
-- Used by: jobmon.triage_overdue().
-- Pure; inlined (no SET clause: it names nothing search_path could change).
-- ---------------------------------------------------------------------------
create or replace function jobmon._triaged_task_instance_statuses()
returns text[]
language sql
immutable
parallel safe
as $$ select array['R', 'O'] $$;
comment on function jobmon._triaged_task_instance_statuses() is
    'Internal. The task-instance statuses the triage sweep moves when overdue (R, O).';

-- ---------------------------------------------------------------------------
-- jobmon._error_task_instance_statuses() returns text[]
--
-- The statuses an error report may ask for (application, resource, unknown
-- error, fatal), in the order error messages list them. Used by:
-- jobmon.log_error().
-- Pure; inlined (no SET clause: it names nothing search_path could change).
-- ---------------------------------------------------------------------------
create or replace function jobmon._error_task_instance_statuses()
returns text[]
language sql
immutable
parallel safe
as $$ select array['E', 'Z', 'U', 'F'] $$;
comment on function jobmon._error_task_instance_statuses() is
    'Internal. The task-instance statuses an error report may ask for (E, Z, U, F).';

-- ---------------------------------------------------------------------------
-- jobmon._queueable_task_statuses() returns text[]
--
-- The task statuses the swarm queues from (registered, adjusting
-- resources). Used by: jobmon.queue_task_batch().
-- Pure; inlined (no SET clause: it names nothing search_path could change).
-- ---------------------------------------------------------------------------
create or replace function jobmon._queueable_task_statuses()
returns text[]
language sql
immutable
parallel safe
as $$ select array['G', 'A'] $$;
comment on function jobmon._queueable_task_statuses() is
    'Internal. The task statuses the swarm queues from (G, A).';
