-- The reference model's two wire forms of a task instance
-- (to_wire_as_distributor_task_instance, to_wire_as_worker_node_task_instance),
-- column for column. Result types are in migrations/0003_call_sites.sql.
-- Applied repeatably by the post-apply step (create or replace).

-- ---------------------------------------------------------------------------
-- jobmon.distributor_task_instances(task_instance_ids bigint[])
--   returns setof jobmon.distributor_task_instance_wire
--
-- One row per existing id of the array (ascending id; duplicates and NULL
-- elements ignored, unknown ids skipped): task_instance_id, task_id,
-- workflow_run_id, workflow_id, status, distributor_id, task_resources_id,
-- array_id, array_batch_num, array_step_id.
-- Called by: the distributor (and readonly tools). Locks nothing (a
-- consistent snapshot of committed rows).
-- Raises: 22004 when task_instance_ids is NULL; 54000 more than 1,000,000 ids.
-- ---------------------------------------------------------------------------
create or replace function jobmon.distributor_task_instances(task_instance_ids bigint[])
returns setof jobmon.distributor_task_instance_wire
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
as $$
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
comment on function jobmon.distributor_task_instances(bigint[]) is
    'The distributor wire form of each existing task instance of the array, in the reference model''s column order (task_instance_id, task_id, workflow_run_id, workflow_id, status, distributor_id, task_resources_id, array_id, array_batch_num, array_step_id), ascending id; unknown ids are skipped. Locks nothing. Raises 22004 for a NULL array.';

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
