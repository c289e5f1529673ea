-- The swarm's batch queue: tasks G/A -> Q, one new task instance each, one
-- batch number of the array per call. Result type in
-- migrations/0004_array_batches.sql. Applied repeatably by the post-apply step.

-- ---------------------------------------------------------------------------
-- jobmon.queue_task_batch(task_ids bigint[], array_id bigint,
--     task_resources_id bigint, workflow_run_id bigint)
--   returns setof jobmon.queue_task_batch_result
--
-- For each requested task that is in G or A (the swarm's guard) and that the
-- rule table lets move to Q (jobmon.task_transition, kind 'cascade', read in
-- the guard): the task moves to Q with num_attempts + 1, gets exactly one new
-- task instance in Q (this workflow run, array and task resources), and its
-- current_attempt_from becomes that instance's id (older instances are stale
-- attempts from now on). The instances of one call share one batch number,
-- taken from the array's counter (jobmon.array.next_batch_num, UPDATE ...
-- RETURNING), and get array steps 0..n-1 in ascending task id.
--
-- Returns one row per distinct requested task id (NULL elements ignored,
-- duplicates counted once), in ascending id: task_id, outcome, task_status
-- and num_attempts as they are after the call, and for a queued task the new
-- task_instance_id, array_batch_num and array_step_id. Outcomes:
--   applied      queued by this call
--   skipped      not in G or A (for example already Q): not touched
--   invalid      in G or A, but the rule table has no move from there to Q,
--                or the task has no attempts left (num_attempts never
--                exceeds max_attempts)
--   wrong_array  the task belongs to another array (or none): not touched
--   not_found    no such task (the other columns are NULL)
-- A call that queues no task takes no batch number (so batch numbers of an
-- array have no gaps from empty calls). An empty array returns no rows.
--
-- Called by: the swarm (up to 500 tasks of one array at a time).
-- The history (when on) gets, per queued task in step order, the new
-- instance's creation and the task's move to Q, in the same statement.
--
-- Locks: the requested tasks in ascending id order (FOR NO KEY UPDATE), then
-- the array row (through the counter's UPDATE), only when something is
-- queued. Two concurrent calls with overlapping tasks serialise on the first
-- shared task; the second decides after the first committed, so each task is
-- queued once, and each call gets its own batch number.
-- Raises: 22004 when task_ids or array_id is NULL; 22023 when no array has
-- this id; JM012 no task resources have task_resources_id; JM010 no
-- workflow run has workflow_run_id; JM013 the workflow run belongs to
-- another workflow than the array; 54000 more than 1,000,000 task ids.
-- (NULL task_resources_id and workflow_run_id are accepted.)
-- ---------------------------------------------------------------------------
create or replace function jobmon.queue_task_batch(
    task_ids bigint[], array_id bigint, task_resources_id bigint, workflow_run_id bigint)
returns setof jobmon.queue_task_batch_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
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
    perform 1
       from jobmon.task t
      where t.id = any (task_ids)
      order by t.id
        for no key update of t;

    -- Decide on a snapshot taken after the locks (a new statement).
    select coalesce(array_agg(d.id order by d.id), '{}'), coalesce(array_agg(d.decision order by d.id), '{}'),
           coalesce(array_agg(d.status order by d.id) filter (where d.decision = 'applied'), '{}')
      into ids, decisions, queued_from
      from (
        select r.id, t.status,
               case
                   when t.id is null then 'not_found'
                   when t.array_id is distinct from arr_id then 'wrong_array'
                   when t.status <> all (array['G', 'A']) then 'skipped'
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
comment on function jobmon.queue_task_batch(bigint[], bigint, bigint, bigint) is
    'The swarm''s batch queue: each requested task in G or A (and allowed to Q by jobmon.task_transition) moves to Q with num_attempts + 1 and gets one new task instance in Q; the call''s instances share one batch number from the array''s counter and get steps 0..n-1 in task-id order. One row per distinct requested task: outcome applied, skipped, invalid, wrong_array or not_found. A call that queues nothing takes no batch number. Locks the tasks in id order, then the array row. Raises 22004 NULL task_ids or array_id, 22023 unknown array, JM012 unknown task resources, JM010 unknown workflow run, JM013 a workflow run of another workflow, 54000 over 1,000,000 ids.';
