-- Helpers of jobmon.transition_task_instance(): argument checks, the
-- cascade's list of task moves, and the texts its errors show.
-- Applied repeatably by the post-apply step (create or replace).

-- ---------------------------------------------------------------------------
-- jobmon.require_task_instance_status(status text) returns text
--
-- Returns its argument when it is a task-instance status code. Otherwise
-- raises 22004 (NULL) or 22023 (anything else), with the valid codes in
-- DETAIL and, for a label or a lower-case code, the code to use in HINT.
-- Reads only jobmon.task_instance_status; locks nothing.
-- ---------------------------------------------------------------------------
create or replace function jobmon.require_task_instance_status(status text)
returns text
language plpgsql
stable
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

    raise exception 'Unknown task instance status: %', quote_literal(status)
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
