-- What the swarm calls: the batch queue (tasks G/A -> Q, one new task
-- instance each, one batch number of the array per call), the triage sweep,
-- terminating a run and resetting its tasks for a resume, and the change
-- feed. Result types are in migrations/0004_array_batches.sql. Every move of
-- a task instance here goes through jobmon._move_task_instances(); the reset
-- of the tasks moves them only along the 'resume' rows of
-- jobmon.task_transition (migration 0005). Applied repeatably by the
-- post-apply step (create or replace).

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
comment on function jobmon.queue_task_batch(bigint[], bigint, bigint, bigint) is
    'The swarm''s batch queue: each requested task in G or A (and allowed to Q by jobmon.task_transition) moves to Q with num_attempts + 1 and gets one new task instance in Q; the call''s instances share one batch number from the array''s counter and get steps 0..n-1 in task-id order. One row per distinct requested task: outcome applied, skipped, invalid, wrong_array or not_found. A call that queues nothing takes no batch number. Locks the tasks in id order, then the array row. Raises 22004 NULL task_ids or array_id, 22023 unknown array, JM012 unknown task resources, JM010 unknown workflow run, JM013 a workflow run of another workflow, 54000 over 1,000,000 ids.';

-- ---------------------------------------------------------------------------
-- jobmon.triage_overdue(workflow_run_id bigint, launched_grace interval)
--   returns table (task_instance_id, task_id, previous_status, status, report_by_date)
--
-- The swarm's sweep of silent task instances of one workflow run:
--   R instances whose report_by_date has passed                -> T (TRIAGING)
--   O instances whose report_by_date has passed and that have
--     been O (status_date) for longer than launched_grace       -> X (NO_HEARTBEAT)
-- Returns the instances it moved, in id order. Their tasks are not touched:
-- the rules give T and X no task move.
--
-- Called by: the swarm, every few seconds, per workflow run.
--
-- Locks: the tasks of the candidates in ascending id order, FOR NO KEY UPDATE
-- SKIP LOCKED, then the candidate instances of the tasks it got, again SKIP
-- LOCKED. A task or instance someone else holds right now is being reported
-- on and is left for the next sweep; the sweep never waits. The deadline and
-- status are read again after the locks (a fresh snapshot, re-checked on the
-- newest row version), so a heartbeat that committed during the sweep wins:
-- an instance whose report_by_date moved into the future is not triaged.
-- "Overdue" is decided against now(), the start of the caller's transaction.
--
-- Raises: 22004 workflow_run_id or launched_grace is NULL; 22023
-- launched_grace is negative or over 100 years; JM010 no such workflow run.
-- ---------------------------------------------------------------------------
create or replace function jobmon.triage_overdue(workflow_run_id bigint, launched_grace interval)
returns table (task_instance_id bigint, task_id bigint, previous_status text, status text,
               report_by_date timestamptz)
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
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
comment on function jobmon.triage_overdue(bigint, interval) is
    'The swarm''s sweep of one workflow run: R instances past report_by_date -> T, O instances past it and launched longer than launched_grace -> X; tasks untouched. Skips rows others hold (SKIP LOCKED); a heartbeat committed during the sweep wins. Returns the instances moved. Raises 22004, 22023, JM010.';

-- ---------------------------------------------------------------------------
-- jobmon.terminate_workflow_run(workflow_run_id bigint, hot boolean default false)
--   returns table (task_instance_id, task_id, outcome, previous_status, status,
--                  task_status, stale, description)
--
-- For a resume: tells every live task instance of the run to die, through the
-- state machine's own moves only:
--   Q, I -> K -> F   they run nothing on the cluster, so they finish at once
--                    (K -> F is refused by the cascade while a current
--                    attempt's task is Q: such an instance stays K, and is
--                    finished by calling this again after
--                    reset_tasks_for_resume(), when it is a stale attempt)
--   O    -> K        the distributor kills the job (kill_task_instances)
--   R    -> K        unless hot: a hot resume lets running instances finish
--   T    -> F        unless hot (T has no move to K; it stopped reporting and
--                    the run is given up; a hot resume leaves it, like R, to
--                    the reconciler's verdict)
--   X    -> E        its only move; the job never heartbeated
--   K never launched (no submitted_date, distributor_id or nodename) -> F
-- W, D, E, F, U and Z are final and left alone. Each instance moved gets one
-- task_instance_error_log row saying why. Returns one row per instance it
-- tried to move, in id order: outcome 'applied' when its status changed
-- (status is where it ended), else the refusing outcome of the core.
--
-- Called by: the swarm of a new workflow run, before reset_tasks_for_resume().
-- Locks: the tasks of the run's live instances in ascending id order (FOR NO
-- KEY UPDATE), waiting for reports in flight; the decisions are taken after.
-- Instances created for the run after the locks are not terminated.
-- Raises: 22004 an argument is NULL; JM010 no such workflow run.
-- ---------------------------------------------------------------------------
create or replace function jobmon.terminate_workflow_run(workflow_run_id bigint, hot boolean default false)
returns table (task_instance_id bigint, task_id bigint, outcome text, previous_status text, status text,
               task_status text, stale boolean, description text)
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
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
comment on function jobmon.terminate_workflow_run(bigint, boolean) is
    'For a resume: tells every live task instance of the workflow run to die through the rules (Q/I -> K -> F, O -> K, R -> K unless hot, T -> F unless hot, X -> E), one error-log row each; returns one row per instance with its outcome. Locks the run''s tasks in id order. Raises 22004, JM010.';

-- ---------------------------------------------------------------------------
-- jobmon.reset_tasks_for_resume(workflow_id bigint, reset_running boolean)
--   returns table (task_id, outcome, previous_status, status, previous_num_attempts)
--
-- For a resume: every task of the workflow that is not D (and not R unless
-- reset_running) goes to G with num_attempts = 0, along the 'resume' rows of
-- jobmon.task_transition (a task already G just gets num_attempts = 0; a task
-- whose status has no such row is left as it is, outcome 'refused'). Each
-- reset task gets current_attempt_from = a new task-instance id, so every
-- task instance it has now is a stale attempt: their late reports move them
-- alone and never the task. Returns one row per task it considered, in id
-- order (outcome 'applied' or 'refused'). The history (when on) gets one row
-- per task whose status changed, in the same statement.
--
-- Called by: the swarm of a new workflow run, after terminate_workflow_run().
-- Locks: the tasks in ascending id order (FOR NO KEY UPDATE), waiting for a
-- cascade in flight; a task is decided on as that cascade left it (one it
-- finished, D, is not reset).
-- Raises: 22004 an argument is NULL; JM011 no such workflow.
-- ---------------------------------------------------------------------------
create or replace function jobmon.reset_tasks_for_resume(workflow_id bigint, reset_running boolean)
returns table (task_id bigint, outcome text, previous_status text, status text, previous_num_attempts integer)
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
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
comment on function jobmon.reset_tasks_for_resume(bigint, boolean) is
    'For a resume: every task of the workflow not D (and not R unless reset_running) -> G with num_attempts = 0 along the ''resume'' rows of jobmon.task_transition; its existing task instances become stale attempts. Locks the tasks in id order. Returns one row per task. Raises 22004, JM011.';

-- ---------------------------------------------------------------------------
-- The change feed's bookkeeping: task.status_xid is the transaction that last
-- changed the task's status and task.status_cluster the cluster it ran on
-- (see jobmon.task_status_changes()).
-- ---------------------------------------------------------------------------
create or replace function jobmon._track_task_status_xid()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
    new.status_xid := pg_catalog.pg_current_xact_id();
    new.status_cluster := (pg_catalog.pg_control_system()).system_identifier;
    return new;
end;
$$;
comment on function jobmon._track_task_status_xid() is
    'Internal. Row trigger on jobmon.task: records the transaction that changed status (status_xid) and its cluster (status_cluster), for jobmon.task_status_changes().';

select jobmon._ensure_trigger('jobmon.task', 'track_status_xid',
    'CREATE TRIGGER track_status_xid BEFORE UPDATE OF status ON jobmon.task FOR EACH ROW'
    ' WHEN ((old.status IS DISTINCT FROM new.status)) EXECUTE FUNCTION jobmon._track_task_status_xid()');

-- ---------------------------------------------------------------------------
-- jobmon._feed_cluster_tag() returns bigint
--
-- This cluster's part of a change-feed cursor: a number from 1 to 2^19 - 1
-- derived from pg_control_system().system_identifier, shifted above the low
-- 44 bits that hold a transaction id (2^44: 55 years at 10,000 transactions
-- a second). Never 0, the tag of a cursor from before migration 0010.
-- Internal; locks nothing; raises nothing.
-- ---------------------------------------------------------------------------
create or replace function jobmon._feed_cluster_tag()
returns bigint
language sql
stable
set search_path = pg_catalog, pg_temp
as $$
    select ((((pg_control_system()).system_identifier % 524287) + 524287) % 524287 + 1) * 17592186044416;
$$;
comment on function jobmon._feed_cluster_tag() is
    'Internal. This cluster''s part of a jobmon.task_status_changes() cursor: 1 .. 2^19 - 1 from pg_control_system().system_identifier, times 2^44.';

-- ---------------------------------------------------------------------------
-- jobmon.task_status_changes(workflow_id bigint, after bigint)
--   returns table (task_id bigint, status text, cursor bigint)
--
-- The swarm's incremental sync: the current status of every task of the
-- workflow whose status changed after the cursor `after` (0: every task).
-- Pass the largest cursor received to the next call (or the previous one
-- when no rows came back). Every row of one call has the same cursor.
--
-- How no change is missed: task.status_xid is the transaction that last
-- changed the task's status (a trigger writes pg_current_xact_id()). The
-- call reads with one snapshot S and returns the tasks with
--     after <= status_xid < xmin(S)
-- and cursor = xmin(S). Every transaction below xmin(S) has ended, so each
-- committed change in that range is visible to S; a transaction still running
-- at S (started before the call or not) has an id >= xmin(S), so it is
-- returned by a later call once it has committed and every older transaction
-- has ended. Rows come back in status_xid order. A long-running transaction
-- anywhere on the server holds the cursor back (it delays changes, it never
-- loses them). A task may come back more than once (the status is the
-- current one each time).
--
-- After a dump and restore into another cluster: transaction ids are each
-- cluster's own, so task.status_cluster records the cluster that wrote
-- status_xid. Rows of another cluster come back to cursor 0 only: nothing
-- changed them since. The cursor carries this cluster's tag
-- (jobmon._feed_cluster_tag()) above the transaction id, so a cursor of
-- another cluster is refused (JM030: start again from 0). A cursor from
-- before migration 0010 (tag 0) is taken as one of this cluster, so a swarm
-- running across the upgrade goes on; rows from before it (status_cluster
-- 0) come back to every cursor whose range holds their transaction id.
--
-- Called by: the swarm, every few seconds. Locks nothing; reads one index
-- range (ix_task_workflow_id_status_xid).
-- Raises: 22004 an argument is NULL; 22023 after is negative or ahead of
-- every cursor this database has given; JM030 a cursor of another cluster;
-- JM011 no such workflow.
-- ---------------------------------------------------------------------------
create or replace function jobmon.task_status_changes(workflow_id bigint, after bigint)
returns table (task_id bigint, status text, cursor bigint)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
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
comment on function jobmon.task_status_changes(bigint, bigint) is
    'The swarm''s incremental sync: (task_id, status, cursor) for the tasks of a workflow whose status changed after the cursor (0: all, restored ones included). A change committed after one call is returned by a later one even if its transaction started before (snapshot-xmin cursor over task.status_xid, tagged with the cluster). Raises 22004, 22023, JM011, JM030 (a cursor of another cluster: start again from 0).';
