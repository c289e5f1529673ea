-- The set-based twin of jobmon.transition_task_instance(): moves many task
-- instances to one status in a few statements, for the batch, sweep and
-- resume functions. Applied repeatably by the post-apply step.

-- ---------------------------------------------------------------------------
-- jobmon._move_task_instances(task_instance_ids bigint[], new_status text,
--     from_statuses text[] default null, task_statuses text[] default null,
--     report_by_date timestamptz default null, set_submitted_date boolean default false,
--     function_name text default null)
--   returns table (task_instance_id, task_id, outcome, previous_status, status,
--                  task_previous_status, task_status, task_num_attempts, stale)
--
-- Moves every requested task instance to new_status by the rules of
-- jobmon.task_instance_move, cascading to its task exactly as
-- transition_task_instance() does (stale attempts move alone), and returns one
-- row per distinct requested id, in id order, with what is true afterwards:
--   applied    moved (and its task cascaded)
--   unchanged  already in new_status: a repeated request, nothing written
--   untimely   the pair is untimely: a late report, nothing written
--   invalid    the pair is not allowed: nothing written
--   refused    the cascade asks for a task move the rules refuse
--   skipped    the caller's guard: status not in from_statuses, or the task's
--              status not in task_statuses (NULL: no guard)
--   conflict   a newer task instance of the same task, not a stale attempt
--              either, was requested in this call too (a task moves once
--              per call), or the instance kept changing under the locks
--              (see below): nothing written
--   not_found  no such task instance (the other columns are NULL)
-- One bad row never fails the batch. NULL ids are ignored. An applied move
-- also sets report_by_date and submitted_date = now() when asked to, and,
-- when the history is on (jobmon.history_setting), writes its history in the
-- same statement: per moved instance, in id order, one row for it, then one
-- per step of its task (task_path), credited to function_name.
--
-- Locks: the tasks of the requested instances, in ascending id order
-- (FOR NO KEY UPDATE), then the instances through the UPDATE. Every function
-- that writes a task instance locks its task first, so holding the tasks
-- holds their instances: decisions are taken after the task locks, on a
-- snapshot taken after them, and the UPDATE re-checks the status it decided
-- on. A task is written only with the instance whose move cascades to it.
-- An instance whose re-check failed (a writer that ignores the lock order
-- changed it) is read and decided again, now under the locks; one that keeps
-- changing is reported 'conflict' after three tries, with nothing written.
-- Internal: called by the jobmon functions, which run as the owner.
-- Raises: nothing of its own (the callers check their arguments).
-- ---------------------------------------------------------------------------
drop function if exists jobmon._move_task_instances(bigint[], text, text[], text[], timestamptz, boolean);
create or replace function jobmon._move_task_instances(
    task_instance_ids bigint[],
    new_status text,
    from_statuses text[] default null,
    task_statuses text[] default null,
    report_by_date timestamptz default null,
    set_submitted_date boolean default false,
    function_name text default null)
returns table (task_instance_id bigint, task_id bigint, outcome text, previous_status text, status text,
               task_previous_status text, task_status text, task_num_attempts integer, stale boolean)
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
    todo    bigint[] := task_instance_ids;  -- the ids still to decide
    decided jobmon.task_instance_transition_result[] := array[]::jobmon.task_instance_transition_result[];
    settled jobmon.task_instance_transition_result[];
    lost    bigint[];  -- decided 'applied', but the UPDATE's re-check found another status
begin
    perform 1
       from jobmon.task t
      where t.id in (select ti.task_id from jobmon.task_instance ti where ti.id = any (task_instance_ids))
      order by t.id
        for no key update of t;

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
                             null, d.stale)::jobmon.task_instance_transition_result)
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
comment on function jobmon._move_task_instances(bigint[], text, text[], text[], timestamptz, boolean, text) is
    'Internal. Moves many task instances to one status by the rules of jobmon.task_instance_move, cascading like transition_task_instance() and writing the history credited to function_name; one row per requested id with its outcome (applied, unchanged, untimely, invalid, refused, skipped, conflict, not_found). Locks the tasks in id order first.';
