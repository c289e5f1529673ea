-- What the set-based batch functions (sql/55_distributor_batches.sql,
-- sql/60_swarm_queue.sql) need from the schema: a per-array batch counter,
-- array steps that are unique, and the result types of the functions.
-- depends: 0002_roles_and_derived_rules 0003_call_sites

-- ---------------------------------------------------------------------------
-- The batch counter. jobmon.queue_task_batch() takes its batch number with
-- UPDATE jobmon.array SET next_batch_num = next_batch_num + 1 ... RETURNING,
-- which serialises concurrent calls on one array on that row (never
-- max(array_batch_num) + 1, which two calls read alike). Existing arrays start
-- after the highest batch number their task instances already use.
-- ---------------------------------------------------------------------------

alter table jobmon.array add column next_batch_num integer not null default 1 check (next_batch_num >= 1);
comment on column jobmon.array.next_batch_num is
    'The batch number the next jobmon.queue_task_batch() call of this array takes (a counter: taken with UPDATE ... RETURNING, which serialises concurrent calls on the array; a call that queues nothing takes none).';

update jobmon.array a
   set next_batch_num = b.max_batch + 1
  from (select ti.array_id, max(ti.array_batch_num) as max_batch
          from jobmon.task_instance ti
         where ti.array_id is not null and ti.array_batch_num is not null
         group by ti.array_id) b
 where a.id = b.array_id and b.max_batch >= 1;

-- ---------------------------------------------------------------------------
-- (array_id, array_batch_num, array_step_id) is how an array worker finds its
-- task instance, so it must name one: the reference index becomes a unique
-- constraint under the same name. Rows without an array (NULLs) are not
-- constrained. Existing duplicates are named instead of failing blindly.
-- ---------------------------------------------------------------------------

do $$
declare
    dup record;
begin
    select ti.array_id, ti.array_batch_num, ti.array_step_id, count(*) as n,
           string_agg(ti.id::text, ', ' order by ti.id) as ids
      into dup
      from jobmon.task_instance ti
     where ti.array_id is not null and ti.array_batch_num is not null and ti.array_step_id is not null
     group by 1, 2, 3
    having count(*) > 1
     limit 1;
    if found then
        raise exception 'task instances % share array %, batch %, step % (an array worker could not tell them apart)',
            left(dup.ids, 200), dup.array_id, dup.array_batch_num, dup.array_step_id
            using errcode = '23505',
                  hint = 'Give each of them its own step (or batch), then migrate again. Nothing was changed.';
    end if;
end;
$$;

drop index jobmon.ix_array_batch_index;
alter table jobmon.task_instance
    add constraint ix_array_batch_index unique (array_id, array_batch_num, array_step_id);
comment on constraint ix_array_batch_index on jobmon.task_instance is
    'An array worker finds its task instance by (array_id, array_batch_num, array_step_id): one row each.';

-- ---------------------------------------------------------------------------
-- Result types of the batch functions (a function whose argument is named
-- like one of its result columns cannot declare them with RETURNS TABLE).
-- ---------------------------------------------------------------------------

create type jobmon.queue_task_batch_result as (
    task_id          bigint,
    outcome          text,
    task_status      text,
    num_attempts     integer,
    task_instance_id bigint,
    array_batch_num  integer,
    array_step_id    integer
);
comment on type jobmon.queue_task_batch_result is
    'One row of jobmon.queue_task_batch() per requested task: outcome applied (queued now: task_instance_id, array_batch_num and array_step_id name its new task instance), skipped (not in G or A: task_status says where it is), invalid (the rule table refuses the move to Q), wrong_array (the task belongs to another array), not_found.';

create type jobmon.instantiated_task_instance as (
    task_instance_id  bigint,
    task_id           bigint,
    workflow_run_id   bigint,
    workflow_id       bigint,
    status            text,
    distributor_id    text,
    task_resources_id bigint,
    array_id          bigint,
    array_batch_num   integer,
    array_step_id     integer,
    outcome           text
);
comment on type jobmon.instantiated_task_instance is
    'One row of jobmon.instantiate_task_instances() per requested id: the distributor wire form (jobmon.distributor_task_instance_wire, same columns in the same order) as it is after the call, plus the outcome of the move to I.';

create type jobmon.launched_task_instance as (
    task_instance_id     bigint,
    task_id              bigint,
    array_step_id        integer,
    outcome              text,
    previous_status      text,
    status               text,
    task_previous_status text,
    task_status          text,
    stale                boolean,
    submitted_date       timestamptz,
    report_by_date       timestamptz
);
comment on type jobmon.launched_task_instance is
    'One row of jobmon.launch_array_batch() per task instance of the batch: the outcome of the move to O, the statuses before and after, and the dates as they are after the call.';

create type jobmon.array_distributor_id_result as (
    array_step_id    integer,
    task_instance_id bigint,
    outcome          text,
    status           text,
    distributor_id   text
);
comment on type jobmon.array_distributor_id_result is
    'One row of jobmon.log_array_distributor_ids() per requested step: outcome applied, unchanged, skipped (not O or R), invalid (NULL or too long id), conflict (the step was given two ids), not_found; distributor_id as it is after the call.';

create type jobmon.heartbeat_result as (
    task_instance_id bigint,
    outcome          text,
    status           text,
    report_by_date   timestamptz
);
comment on type jobmon.heartbeat_result is
    'One row of jobmon.log_heartbeats() per requested id: outcome applied (report_by_date pushed) or skipped (not in O, nothing written) or not_found; report_by_date as it is after the call.';
