-- Registering and rebinding tasks: what a Jobmon server's task-binding route
-- does, for the application role, which may not write a task's status.
-- Needs the task key of migrations/0007_jobmon_bridge.sql. Applied
-- repeatably by the post-apply step (create or replace).

-- ---------------------------------------------------------------------------
-- jobmon.bind_tasks(workflow_id bigint, node_ids bigint[], task_args_hashes text[],
--     array_ids bigint[], task_resources_ids bigint[], names text[], commands text[],
--     max_attempts_per_task integer[], resource_scales text[], fallback_queues text[],
--     reset_if_running boolean[])
--   returns table (node_id, task_args_hash, task_id, outcome, previous_status,
--                  status, max_attempts)
--
-- Registers or rebinds a batch of tasks of a workflow, each named by its key
-- (node_id, task_args_hash); the arrays are parallel, one element per task.
-- Per distinct key (the first occurrence wins), in ascending task id:
--   created    no such task: inserted in G with no attempts and the given
--              columns
--   reset      an unfinished task, rebound: the reset move (the 'resume' rows
--              of jobmon.task_transition) to G, num_attempts 0, the given
--              name, command and max_attempts, and a fresh
--              current_attempt_from (its task instances become stale
--              attempts); a task already G is reset the same way
--   unchanged  D, or R when its reset_if_running is false: left as it is
--   refused    no reset move from its status: left as it is
-- A rebind keeps the task's array, resources, scales and fallback queues.
-- An empty batch returns no rows.
--
-- Called by: the server's task-binding route (upstream Jobmon's
-- PUT /task/bind_tasks_no_args), once per chunk of tasks.
-- Locks: inserts the new tasks in key order (a concurrent bind of the same
-- key waits for this one, then finds the task), then locks every requested
-- task in ascending id order (FOR NO KEY UPDATE) and decides under the lock.
-- Raises: 22004 workflow_id, an array, or a key, name or max_attempts element
-- is NULL; 22023 the arrays differ in length or a max_attempts is negative;
-- JM011 no such workflow.
-- ---------------------------------------------------------------------------
create or replace function jobmon.bind_tasks(
    workflow_id bigint, node_ids bigint[], task_args_hashes text[], array_ids bigint[],
    task_resources_ids bigint[], names text[], commands text[], max_attempts_per_task integer[],
    resource_scales text[], fallback_queues text[], reset_if_running boolean[])
returns table (node_id bigint, task_args_hash text, task_id bigint, outcome text, previous_status text,
               status text, max_attempts integer)
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
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
comment on function jobmon.bind_tasks(bigint, bigint[], text[], bigint[], bigint[], text[], text[], integer[],
                                      text[], text[], boolean[]) is
    'Registers or rebinds a batch of tasks of a workflow by (node_id, task_args_hash): new ones in G (created), unfinished ones reset to G by the reset move with the new name, command and max_attempts (reset), D or R without reset_if_running left alone (unchanged), no reset move (refused). One row per distinct key in task id order. Locks the tasks in id order. Raises 22004, 22023, JM011.';
