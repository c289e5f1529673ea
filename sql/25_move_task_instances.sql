-- The set-based twin of jobmon.transition_task_instance(): moves many task
-- instances to one status in a few statements, for the batch, sweep and
-- resume functions. Applied repeatably by the post-apply step.

-- ---------------------------------------------------------------------------
-- jobmon._move_task_instances(task_instance_ids bigint[], new_status text,
--     from_statuses text[] default null, task_statuses text[] default null,
--     report_by_date timestamptz default null, set_submitted_date boolean default false)
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
--              per call): nothing written
--   not_found  no such task instance (the other columns are NULL)
-- One bad row never fails the batch. NULL ids are ignored. An applied move
-- also sets report_by_date and submitted_date = now() when asked to.
--
-- Locks: the tasks of the requested instances, in ascending id order
-- (FOR NO KEY UPDATE), then the instances through the UPDATE. Every function
-- that writes a task instance locks its task first, so holding the tasks
-- holds their instances: decisions are taken after the task locks, on a
-- snapshot taken after them, and the UPDATE re-checks the status it decided
-- on. Internal: called by the jobmon functions, which run as the owner.
-- Raises: nothing of its own (the callers check their arguments).
-- ---------------------------------------------------------------------------
create or replace function jobmon._move_task_instances(
    task_instance_ids bigint[],
    new_status text,
    from_statuses text[] default null,
    task_statuses text[] default null,
    report_by_date timestamptz default null,
    set_submitted_date boolean default false)
returns table (task_instance_id bigint, task_id bigint, outcome text, previous_status text, status text,
               task_previous_status text, task_status text, task_num_attempts integer, stale boolean)
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
begin
    perform 1
       from jobmon.task t
      where t.id in (select ti.task_id from jobmon.task_instance ti where ti.id = any (task_instance_ids))
      order by t.id
        for no key update of t;

    return query
    with requested as (
        select distinct r.id from unnest(task_instance_ids) r(id) where r.id is not null
    ),
    locked_rows as (
        select ti.id, ti.task_id, ti.status, t.status as task_status, t.num_attempts,
               ti.id < t.current_attempt_from as stale, m.kind, m.task_to_status, m.adds_attempt,
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
    decided as (
        select c.*,
               case
                   when c.status = new_status then 'unchanged'
                   when from_statuses is not null and c.status <> all (from_statuses) then 'skipped'
                   when task_statuses is not null and c.task_status <> all (task_statuses) then 'skipped'
                   when c.kind is null then 'invalid'
                   when c.kind = 'untimely' then 'untimely'
                   when c.task_to_status is null and not c.stale then 'refused'
                   when c.nth_of_task > 1 and not c.stale then 'conflict'
                   else 'applied'
               end as decision
          from locked_rows c
    ),
    moved as (
        update jobmon.task_instance ti
           set status = new_status,
               status_date = now(),
               report_by_date = coalesce(_move_task_instances.report_by_date, ti.report_by_date),
               submitted_date = case when set_submitted_date then now() else ti.submitted_date end
          from decided d
         where ti.id = d.id and d.decision = 'applied' and ti.status = d.status
        returning ti.id
    ),
    cascaded as (
        update jobmon.task t
           set status = d.task_to_status,
               num_attempts = t.num_attempts + d.adds_attempt::integer,
               status_date = now()
          from decided d
         where t.id = d.task_id and d.decision = 'applied' and not d.stale
           and (d.task_to_status <> d.task_status or d.adds_attempt)
        returning t.id, t.status, t.num_attempts
    )
    select r.id, d.task_id, coalesce(d.decision, 'not_found'), d.status,
           case when d.decision = 'applied' then new_status else d.status end,
           d.task_status, coalesce(c.status, d.task_status), coalesce(c.num_attempts, d.num_attempts), d.stale
      from requested r
      left join decided d on d.id = r.id
      left join cascaded c on c.id = d.task_id and d.decision = 'applied'
     order by r.id;
end;
$$;
comment on function jobmon._move_task_instances(bigint[], text, text[], text[], timestamptz, boolean) is
    'Internal. Moves many task instances to one status by the rules of jobmon.task_instance_move, cascading like transition_task_instance(); one row per requested id with its outcome (applied, unchanged, untimely, invalid, refused, skipped, conflict, not_found). Locks the tasks in id order first.';
