-- What the distributor (and its reconciler) calls: its wire form
-- (distributor_task_instances, the reference model's
-- to_wire_as_distributor_task_instance column for column), the reports about
-- one task instance (log_distributor_id, log_no_distributor_id,
-- log_unknown_error, following the pattern in sql/20_move.sql), and the
-- set-based functions over whole array batches and kills. Result types are in
-- migrations/0003_call_sites.sql and migrations/0004_array_batches.sql. Every
-- status move of a batch goes through jobmon._move_task_instances(); the
-- other writes (distributor ids, deadlines) lock the tasks first, in
-- ascending id order, and guard on the current status inside the UPDATE that
-- writes. Applied repeatably by the post-apply step (create or replace).

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
-- jobmon.log_distributor_id(task_instance_id bigint, distributor_id text,
--   next_report_increment interval) returns jobmon.call_site_result
--
-- The cluster accepted the job and gave it distributor_id. Decided from the
-- status as locked:
--   I -> launched (I -> O through jobmon._transition_task_instance()), and
--        distributor_id, submitted_date = now() and report_by_date = clock_timestamp() +
--        next_report_increment written with the move; outcome 'applied';
--   I of a stale attempt (its task was queued again or reset): never
--        launched; moved I -> K with its distributor_id and submitted_date,
--        so the job is killed; outcome 'stale';
--   O, R, T, X, K (launched, or moved on by the worker or the reconciler):
--        the status is kept; the id is written only when the task instance
--        has none (outcome 'id_recorded'); the same id: 'unchanged'; another
--        id: kept, outcome 'ignored';
--   W, D, E, U, Z, F (finished): left alone, outcome 'ignored';
--   Q (never instantiated): JM001, as the move Q -> O is invalid.
-- Called by: the distributor (non-array submissions). Locks: the task, then
-- the task instance.
-- Raises: 22004 NULL argument; 22023 increment not positive or over 100
-- years, blank distributor_id; 22001 distributor_id longer than 20; JM003
-- not found; JM001/JM002 as jobmon.transition_task_instance().
-- ---------------------------------------------------------------------------
create or replace function jobmon.log_distributor_id(
    task_instance_id bigint, distributor_id text, next_report_increment interval)
returns jobmon.call_site_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
as $$
declare
    ti_id   constant bigint := log_distributor_id.task_instance_id;
    locked  record;
    outcome text := 'ignored';
begin
    perform jobmon._require_distributor_id(distributor_id, false),
            jobmon._require_interval('next_report_increment', next_report_increment, false);
    locked := jobmon._lock_task_instance(ti_id);
    if locked.stale and locked.status = 'I' then
        -- Only a task's current attempt may be launched: a stale one is told to
        -- die instead, with its job id, so that its job can be killed.
        perform jobmon._transition_task_instance(ti_id, 'K', jsonb_build_object(
            'distributor_id', distributor_id, 'submitted_date', now()), 'log_distributor_id');
        outcome := 'stale';
    elsif locked.status in ('I', 'Q') then
        -- Launched, with the id and the deadlines in the same write (Q raises JM001).
        outcome := (jobmon._transition_task_instance(ti_id, 'O', jsonb_build_object(
            'distributor_id', distributor_id, 'submitted_date', now(),
            'report_by_date', clock_timestamp() + next_report_increment), 'log_distributor_id')).outcome;
    elsif locked.status = any (jobmon._launched_task_instance_statuses()) then  -- launched or moved on, not finished
        outcome := jobmon._distributor_id_outcome(locked.distributor_id, distributor_id);
        if outcome = 'record' then
            update jobmon.task_instance ti
               set distributor_id = log_distributor_id.distributor_id
             where ti.id = ti_id;
            outcome := 'id_recorded';
        end if;
    end if;
    return jobmon._call_site_result(ti_id, outcome, locked.status, locked.stale, null::text);
end;
$$;
comment on function jobmon.log_distributor_id(bigint, text, interval) is
    'The distributor''s job id for a task instance: from I, launches it (I -> O) and writes distributor_id, submitted_date and report_by_date (outcome ''applied''; a stale attempt goes I -> K instead, outcome ''stale''); a task instance already launched or moved on (O, R, T, X, K) keeps its status and gets the id only if it has none (''id_recorded''; same id: ''unchanged''); a finished one is left alone (''ignored''). Locks task, then task instance. Raises 22004, 22023, 22001, JM003, JM001 (from Q), JM002. See docs/sql-api.md.';

-- ---------------------------------------------------------------------------
-- jobmon.log_no_distributor_id(task_instance_id bigint, description text)
--   returns jobmon.call_site_result
--
-- Submission failed: no distributor id came back. Already W: nothing
-- written, outcome 'unchanged'. Else asks for the move to W (I -> W); when
-- applied, adds one task_instance_error_log row with description.
-- Called by: the distributor. Locks: the task, then the task instance.
-- Raises: 22004 NULL argument; JM003 not found; JM001/JM002 as
-- jobmon.transition_task_instance() (any status but I and W).
-- ---------------------------------------------------------------------------
create or replace function jobmon.log_no_distributor_id(task_instance_id bigint, description text)
returns jobmon.call_site_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
as $$
declare
    ti_id   constant bigint := log_no_distributor_id.task_instance_id;
    locked  record;
    outcome text := 'unchanged';
begin
    perform jobmon._require_description(description);
    locked := jobmon._lock_task_instance(ti_id);
    if locked.status <> 'W' then
        outcome := (jobmon._transition_task_instance(ti_id, 'W', null, 'log_no_distributor_id')).outcome;
    end if;
    -- The error-log row only for an applied move.
    return jobmon._call_site_result(ti_id, outcome, locked.status, locked.stale,
                                    case when outcome = 'applied' then description end);
end;
$$;
comment on function jobmon.log_no_distributor_id(bigint, text) is
    'Submission failed: moves the task instance I -> W and adds one task_instance_error_log row. Already W: outcome ''unchanged'', nothing written. Locks task, then task instance. Raises 22004, JM003, JM001, JM002. See docs/sql-api.md.';

-- ---------------------------------------------------------------------------
-- jobmon.log_unknown_error(task_instance_id bigint, description text)
--   returns jobmon.call_site_result
--
-- The reconciler's verdict U (no exit status found after triage). Decided
-- from the task instance as locked:
--   already U                        -> nothing written, outcome 'unchanged';
--   report_by_date in the future     -> a heartbeat came after triage started:
--                                       nothing written, outcome 'not_overdue';
--   otherwise (deadline passed or never set) -> asks for the move to U
--      (T/R/O -> U; E, Z, D, K -> U are untimely: nothing written); when
--      applied, adds one task_instance_error_log row with description.
-- Called by: the distributor's reconciler. Locks: the task, then the task
-- instance.
-- Raises: 22004 NULL argument; JM003 not found; JM001/JM002 as
-- jobmon.transition_task_instance().
-- ---------------------------------------------------------------------------
create or replace function jobmon.log_unknown_error(task_instance_id bigint, description text)
returns jobmon.call_site_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
set plan_cache_mode = force_generic_plan
as $$
declare
    ti_id   constant bigint := log_unknown_error.task_instance_id;
    locked  record;
    outcome text := 'unchanged';
begin
    perform jobmon._require_description(description);
    locked := jobmon._lock_task_instance(ti_id);
    if locked.status = 'U' then
        null;  -- a repeat
    elsif locked.report_by_date > now() then
        outcome := 'not_overdue';
    else
        outcome := (jobmon._transition_task_instance(ti_id, 'U', null, 'log_unknown_error')).outcome;
    end if;
    -- The error-log row only for an applied move.
    return jobmon._call_site_result(ti_id, outcome, locked.status, locked.stale,
                                    case when outcome = 'applied' then description end);
end;
$$;
comment on function jobmon.log_unknown_error(bigint, text) is
    'The reconciler''s unknown-error verdict: moves the task instance to U and adds one task_instance_error_log row, only while its report_by_date is still in the past (else outcome ''not_overdue'', nothing written). Already U: ''unchanged''; untimely: nothing written. Locks task, then task instance. Raises 22004, JM003, JM001, JM002. See docs/sql-api.md.';

-- ---------------------------------------------------------------------------
-- jobmon.instantiate_task_instances(task_instance_ids bigint[])
--   returns setof jobmon.instantiated_task_instance
--
-- Q -> I for every requested task instance in Q whose task is Q (the task
-- moves to I by the cascade); anything else is left alone and reported with
-- its status (an instance already F never comes back to I). One row per
-- distinct requested id (NULL elements ignored), ascending id: the
-- distributor wire form as it is after the call, plus outcome: applied,
-- unchanged (already I), skipped (instance not Q or task not Q), invalid,
-- refused, conflict, not_found (see jobmon._move_task_instances(); a
-- not_found row has only task_instance_id), stale (a Q or I instance whose
-- task has moved on to a newer attempt: never instantiated, it is finished
-- instead, K then F; status says where it ended).
-- Called by: the distributor. Locks: the tasks in ascending id order, then
-- the instances (through the move).
-- Raises: 22004 when task_instance_ids is NULL; 54000 more than 1,000,000 ids.
-- ---------------------------------------------------------------------------
create or replace function jobmon.instantiate_task_instances(task_instance_ids bigint[])
returns setof jobmon.instantiated_task_instance
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    moves     jobmon.task_instance_move_result[];
    stale_ids bigint[];
    killed    bigint[];
begin
    if task_instance_ids is null then
        raise exception 'task_instance_ids must not be NULL'
            using errcode = '22004',
                  hint = 'Pass an array of task instance ids, for example ''{1,2,3}''. Nothing was changed.';
    end if;
    perform jobmon._require_batch_size('task_instance_ids', cardinality(task_instance_ids));

    -- Lock the tasks first (the move takes the same locks again at no cost),
    -- so that which instances are stale attempts is decided under the locks.
    perform jobmon._lock_tasks(array(select ti.task_id from jobmon.task_instance ti where ti.id = any (task_instance_ids)));
    select array_agg(ti.id) into stale_ids
      from jobmon.task_instance ti
      join jobmon.task t on t.id = ti.task_id
     where ti.id = any (task_instance_ids) and ti.id < t.current_attempt_from
       and ti.status = any (jobmon._unlaunched_task_instance_statuses());

    -- Only a task's current attempt may be instantiated. A stale one (its task
    -- was reset or queued again meanwhile) never reached the cluster: it is
    -- finished (K, then F, with an error-log row saying why) and comes back
-- 'stale' with where it ended.
    select array_agg(m.task_instance_id) filter (where m.outcome = 'applied') into killed
      from jobmon._move_task_instances(stale_ids, 'K', jobmon._unlaunched_task_instance_statuses(), function_name => 'instantiate_task_instances') m;
    insert into jobmon.task_instance_error_log (task_instance_id, description)
    select m.task_instance_id,
           'A stale attempt (its task was reset or queued again): finished (K -> F) instead of instantiated.'
      from jobmon._move_task_instances(killed, 'F', array['K'], function_name => 'instantiate_task_instances') m
     where m.outcome = 'applied';
    select array_agg(m::jobmon.task_instance_move_result) into moves
      from jobmon._move_task_instances(array(
               select u.id from unnest(task_instance_ids) u(id) where not (u.id = any (coalesce(stale_ids, '{}')))),
               'I', array['Q'], array['Q'], function_name => 'instantiate_task_instances') m;
    moves := moves || array(select row(u.id, null, 'stale', null, null, null, null, null, true)::jobmon.task_instance_move_result
                              from unnest(stale_ids) u(id));
    -- A new statement, so a new snapshot: the wire form as it is after the move.
    return query
        select m.task_instance_id, ti.task_id, ti.workflow_run_id, t.workflow_id, ti.status,
               ti.distributor_id::text, ti.task_resources_id, ti.array_id, ti.array_batch_num,
               ti.array_step_id, m.outcome
          from unnest(moves) m
          left join jobmon.task_instance ti on ti.id = m.task_instance_id
          left join jobmon.task t on t.id = ti.task_id
         order by m.task_instance_id;
end;
$$;
comment on function jobmon.instantiate_task_instances(bigint[]) is
    'Q -> I for each requested task instance in Q whose task is Q (tasks -> I by the cascade); others are left alone, and a stale attempt in Q or I is finished instead (K -> F, outcome ''stale''). One row per distinct id: the distributor wire form after the call plus outcome (applied, unchanged, skipped, invalid, refused, conflict, not_found, stale). Locks the tasks in id order. Raises 22004 for a NULL array, 54000 over 1,000,000 ids.';

-- ---------------------------------------------------------------------------
-- jobmon.launch_array_batch(array_id bigint, array_batch_num integer,
--     next_report_increment interval)
--   returns setof jobmon.launched_task_instance
--
-- After the distributor submitted an array batch: I -> O for every task
-- instance of (array_id, array_batch_num) in I whose task is I, with
-- submitted_date = now() and report_by_date = clock_timestamp() + next_report_increment;
-- their tasks move to O by the cascade; all in the caller's transaction.
-- Instances in any other status (a worker already reported R, say) are left
-- alone and come back 'skipped' with their status. An instance in I that is
-- a stale attempt (its task has moved on to a newer attempt) is never
-- launched: it goes I -> K (submitted_date set, so its job is killed) and
-- comes back 'stale'. One row per instance of the batch, ascending id (no
-- rows for a batch with no instances).
-- Called by: the distributor. Locks: the batch's tasks in ascending id order,
-- then its instances (through the move).
-- Raises: 22004 NULL argument; 22023 next_report_increment not positive or
-- over 100 years.
-- ---------------------------------------------------------------------------
create or replace function jobmon.launch_array_batch(
    array_id bigint, array_batch_num integer, next_report_increment interval)
returns setof jobmon.launched_task_instance
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    arr_id    constant bigint := launch_array_batch.array_id;
    batch_num constant integer := launch_array_batch.array_batch_num;
    ids       bigint[];
    stale_ids bigint[];
    moves     jobmon.task_instance_move_result[];
begin
    if arr_id is null or batch_num is null or next_report_increment is null then
        raise exception '% must not be NULL',
            case when arr_id is null then 'array_id' when batch_num is null then 'array_batch_num'
                 else 'next_report_increment' end
            using errcode = '22004',
                  hint = 'Nothing was changed.';
    end if;
    perform jobmon._require_interval('next_report_increment', next_report_increment, false);
    -- Which instances belong to the batch never changes once they exist.
    select array_agg(ti.id)
      into ids
      from jobmon.task_instance ti
     where ti.array_id = arr_id and ti.array_batch_num = batch_num;
    if ids is null then
        return;
    end if;

    -- Only a task's current attempt may be launched: a stale one (its task was
    -- reset or queued again meanwhile) is told to die instead (I -> K, with its
    -- submitted_date: its job is on the cluster) and comes back 'stale'.
    -- Decided under the task locks, which the moves take again at no cost.
    perform jobmon._lock_tasks(array(select ti.task_id from jobmon.task_instance ti where ti.id = any (ids)));
    select array_agg(ti.id) into stale_ids
      from jobmon.task_instance ti
      join jobmon.task t on t.id = ti.task_id
     where ti.id = any (ids) and ti.id < t.current_attempt_from and ti.status = 'I';

    select array_agg(row(m.task_instance_id, m.task_id, case when m.task_instance_id = any (stale_ids) then 'stale'
                                                             else m.outcome end,
                         m.previous_status, m.status, m.task_previous_status, m.task_status, m.task_num_attempts,
                         m.stale)::jobmon.task_instance_move_result)
      into moves
      from (select k.* from jobmon._move_task_instances(stale_ids, 'K', array['I'], null, null, true, 'launch_array_batch') k
            union all
            select o.* from jobmon._move_task_instances(array(
                       select u.id from unnest(ids) u(id) where not (u.id = any (coalesce(stale_ids, '{}')))),
                   'O', array['I'], array['I'], clock_timestamp() + next_report_increment, true,
                   'launch_array_batch') o) m;
    return query
        select m.task_instance_id, m.task_id, ti.array_step_id, m.outcome, m.previous_status, m.status,
               m.task_previous_status, m.task_status, m.stale, ti.submitted_date, ti.report_by_date
          from unnest(moves) m
          join jobmon.task_instance ti on ti.id = m.task_instance_id
         order by m.task_instance_id;
end;
$$;
comment on function jobmon.launch_array_batch(bigint, integer, interval) is
    'I -> O for every task instance of the array batch in I whose task is I, with submitted_date and report_by_date = clock_timestamp() + next_report_increment; tasks -> O by the cascade. A stale attempt in I goes to K instead (outcome ''stale''). One row per instance of the batch: outcome (applied, unchanged, skipped, stale, ...), statuses before and after, dates. Locks the tasks in id order. Raises 22004 NULL argument, 22023 increment not positive or over 100 years.';

-- ---------------------------------------------------------------------------
-- jobmon.log_array_distributor_ids(array_id bigint, array_batch_num integer,
--     array_step_ids integer[], distributor_ids text[])
--   returns setof jobmon.array_distributor_id_result
--
-- Records the cluster's job id of each step (array_step_ids[i] gets
-- distributor_ids[i]) on the batch's task instances that are launched or
-- running (O or R); any other instance (a finished one, say) is left alone.
-- A recorded id is never replaced (the rule of log_distributor_id(),
-- jobmon._distributor_id_outcome()). One row per distinct requested step
-- (NULL steps ignored), ascending step: outcome applied (written: the
-- instance had no id), unchanged (already that id), ignored (another id is
-- recorded: kept), skipped (not O or R), invalid (a NULL, blank or longer
-- than 20 characters id: nothing written), conflict (the step was given two
-- different ids: nothing written), not_found (no instance at that step);
-- status and distributor_id as they are after the call.
-- Called by: the distributor. Locks: the tasks of those instances in
-- ascending id order, then the instances through the UPDATE, which re-checks
-- the status and that no id is recorded.
-- Raises: 22004 NULL argument; 22023 the two arrays differ in length; 54000
-- more than 1,000,000 steps.
-- ---------------------------------------------------------------------------
create or replace function jobmon.log_array_distributor_ids(
    array_id bigint, array_batch_num integer, array_step_ids integer[], distributor_ids text[])
returns setof jobmon.array_distributor_id_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    arr_id    constant bigint := log_array_distributor_ids.array_id;
    batch_num constant integer := log_array_distributor_ids.array_batch_num;
begin
    if arr_id is null or batch_num is null or array_step_ids is null or distributor_ids is null then
        raise exception '% must not be NULL',
            case when arr_id is null then 'array_id' when batch_num is null then 'array_batch_num'
                 when array_step_ids is null then 'array_step_ids' else 'distributor_ids' end
            using errcode = '22004',
                  hint = 'Nothing was changed.';
    end if;
    perform jobmon._require_batch_size('array_step_ids', cardinality(array_step_ids));
    if cardinality(array_step_ids) <> cardinality(distributor_ids) then
        raise exception 'array_step_ids has % elements but distributor_ids has %: they must pair up one to one',
            cardinality(array_step_ids), cardinality(distributor_ids)
            using errcode = '22023',
                  hint = 'Pass one distributor id per step, in the same order. Nothing was changed.';
    end if;

    perform jobmon._lock_tasks(array(select ti.task_id from jobmon.task_instance ti
                                      where ti.array_id = arr_id and ti.array_batch_num = batch_num
                                        and ti.array_step_id = any (array_step_ids)));

    return query
    with pairs as (
        select p.step, p.did from unnest(array_step_ids, distributor_ids) p(step, did) where p.step is not null
    ),
    requested as (
        select p.step, min(p.did) as did,
               count(distinct p.did) > 1 or (bool_or(p.did is null) and bool_or(p.did is not null)) as conflicting,
               bool_or(not jobmon._usable_distributor_id(p.did)) as bad
          from pairs p
         group by p.step
    ),
    current_rows as (
        select r.step, r.did, r.conflicting, r.bad, ti.id, ti.status, ti.distributor_id::text as old_did
          from requested r
          left join jobmon.task_instance ti
            on ti.array_id = arr_id and ti.array_batch_num = batch_num and ti.array_step_id = r.step
    ),
    decided as (
        select c.*,
               case
                   when c.id is null then 'not_found'
                   when c.conflicting then 'conflict'
                   when c.bad then 'invalid'
                   when c.status <> all (jobmon._array_id_task_instance_statuses()) then 'skipped'
                   -- A recorded id is kept, as log_distributor_id() keeps it.
                   else (case jobmon._distributor_id_outcome(c.old_did, c.did)
                             when 'record' then 'applied' when 'unchanged' then 'unchanged' else 'ignored' end)
               end as decision
          from current_rows c
    ),
    written as (
        update jobmon.task_instance ti
           set distributor_id = d.did
          from decided d
         where ti.id = d.id and d.decision = 'applied' and ti.status = any (jobmon._array_id_task_instance_statuses())
           and ti.distributor_id is null
        returning ti.id, ti.distributor_id::text as did
    )
    select d.step, d.id,
           case when d.decision = 'applied' and w.id is null then 'skipped' else d.decision end,
           d.status, coalesce(w.did, d.old_did)
      from decided d
      left join written w on w.id = d.id
     order by d.step;
end;
$$;
comment on function jobmon.log_array_distributor_ids(bigint, integer, integer[], text[]) is
    'Records the cluster job id of each step of an array batch (array_step_ids[i] -> distributor_ids[i]) on its task instance when that is O or R and has no id yet (a recorded id is kept); others are left alone. One row per distinct step: outcome applied, unchanged, ignored, skipped, invalid (NULL, blank or too long id), conflict or not_found. Locks the tasks in id order, then the instances. Raises 22004 NULL argument, 22023 arrays of different lengths, 54000 over 1,000,000 steps.';

-- ---------------------------------------------------------------------------
-- jobmon.log_heartbeats(task_instance_ids bigint[], next_report_increment interval)
--   returns setof jobmon.heartbeat_result
--
-- The distributor's batch heartbeat: report_by_date = clock_timestamp() +
-- next_report_increment for every requested task instance still in O;
-- anything else is left alone. One row per distinct requested id (NULL
-- elements ignored), ascending: outcome applied (pushed), skipped (not in O:
-- status says where it is) or not_found; report_by_date as it is after the
-- call.
-- Called by: the distributor, every ~30 s for the instances the cluster still
-- reports. Locks: their tasks in ascending id order, then the instances
-- through the UPDATE, which re-checks the status.
-- Raises: 22004 NULL argument; 22023 next_report_increment not positive or
-- over 100 years; 54000 more than 1,000,000 ids.
-- ---------------------------------------------------------------------------
create or replace function jobmon.log_heartbeats(task_instance_ids bigint[], next_report_increment interval)
returns setof jobmon.heartbeat_result
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
    if task_instance_ids is null or next_report_increment is null then
        raise exception '% must not be NULL',
            case when task_instance_ids is null then 'task_instance_ids' else 'next_report_increment' end
            using errcode = '22004',
                  hint = 'Nothing was changed.';
    end if;
    perform jobmon._require_interval('next_report_increment', next_report_increment, false),
            jobmon._require_batch_size('task_instance_ids', cardinality(task_instance_ids));

    perform jobmon._lock_tasks(array(select ti.task_id from jobmon.task_instance ti where ti.id = any (task_instance_ids)));

    return query
    with requested as (
        select distinct r.id from unnest(task_instance_ids) r(id) where r.id is not null
    ),
    pushed as (  -- report_by_date is in no index: HOT updates
        update jobmon.task_instance ti
           set report_by_date = clock_timestamp() + next_report_increment
          from requested r
         where ti.id = r.id and ti.status = 'O'
        returning ti.id, ti.report_by_date
    )
    select r.id,
           case when p.id is not null then 'applied' when ti.id is null then 'not_found' else 'skipped' end,
           ti.status, coalesce(p.report_by_date, ti.report_by_date)
      from requested r
      left join jobmon.task_instance ti on ti.id = r.id
      left join pushed p on p.id = r.id
     order by r.id;
end;
$$;
comment on function jobmon.log_heartbeats(bigint[], interval) is
    'The distributor''s batch heartbeat: report_by_date = clock_timestamp() + next_report_increment for each requested task instance still in O; others are left alone. One row per distinct id: outcome applied, skipped or not_found, with status and report_by_date after the call. Locks the tasks in id order, then the instances. Raises 22004 NULL argument, 22023 increment not positive or over 100 years, 54000 over 1,000,000 ids.';

-- ---------------------------------------------------------------------------
-- jobmon.kill_task_instances(task_instance_ids bigint[])
--   returns table (task_instance_id, task_id, outcome, previous_status, status,
--                  task_previous_status, task_status, task_num_attempts, stale)
--
-- The distributor killed these instances on the cluster: K -> F for each, one
-- row per distinct id in id order with the outcome of jobmon._move_task_instances()
-- (applied; unchanged when already F; skipped when not in K; not_found).
-- Each applied move adds one task_instance_error_log row. NULL ids are
-- ignored. An instance of a task that has moved on (a stale attempt) moves
-- alone; a current one fails its task by the cascade (E, then F).
--
-- Called by: the distributor, after killing the jobs of K instances.
-- Locks: their tasks in ascending id order, then the instances.
-- Raises: 22004 task_instance_ids is NULL; 54000 more than 1,000,000 ids.
-- ---------------------------------------------------------------------------
create or replace function jobmon.kill_task_instances(task_instance_ids bigint[])
returns table (task_instance_id bigint, task_id bigint, outcome text, previous_status text, status text,
               task_previous_status text, task_status text, task_num_attempts integer, stale boolean)
language plpgsql
volatile
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
    if task_instance_ids is null then
        raise exception 'task_instance_ids must not be NULL'
            using errcode = '22004', hint = 'Nothing was changed. Pass an array of task instance ids (it may be empty).';
    end if;
    perform jobmon._require_batch_size('task_instance_ids', cardinality(task_instance_ids));
    return query
    with moved as materialized (
        select * from jobmon._move_task_instances(task_instance_ids, 'F', array['K'], function_name => 'kill_task_instances')
    ),
    logged as (
        insert into jobmon.task_instance_error_log (task_instance_id, description)
        select m.task_instance_id, 'Killed by the distributor after it was told to die (K -> F).'
          from moved m
         where m.outcome = 'applied'
    )
    select m.* from moved m order by m.task_instance_id;
end;
$$;
comment on function jobmon.kill_task_instances(bigint[]) is
    'The distributor killed these task instances on the cluster: K -> F each (with an error-log row), one row per id with its outcome (applied, unchanged, skipped when not K, not_found). Raises 22004 for a NULL array, 54000 over 1,000,000 ids.';
