-- What the call-site functions (sql/30_wire_forms.sql, sql/40_worker_node.sql,
-- sql/50_distributor.sql) need from the schema: requested resources stored
-- as jsonb, so malformed JSON is refused when it is written, not when a
-- worker node reads its wire form.
-- depends: 0002_roles_and_derived_rules

-- Existing rows must already hold JSON: say which one does not, instead of
-- failing on the first bad value with no row named.
do $$
declare
    bad_id bigint;
begin
    for bad_id in select r.id from jobmon.task_resources r where r.requested_resources is not null loop
        begin
            perform (select r.requested_resources::jsonb from jobmon.task_resources r where r.id = bad_id);
        exception when invalid_text_representation then
            raise exception 'task_resources id % holds requested_resources that are not JSON', bad_id
                using errcode = '22P02',
                      hint = 'Fix or clear that row (and any other malformed one), then migrate again. Nothing was changed.';
        end;
    end loop;
end;
$$;

alter table jobmon.task_resources
    alter column requested_resources type jsonb using requested_resources::jsonb;
comment on column jobmon.task_resources.requested_resources is
    'Resources requested for the task, as a JSON object (for example {"stdout": "/logs/out", "stderr": "/logs/err", "memory": "2G"}); malformed JSON is refused on write.';

-- ---------------------------------------------------------------------------
-- Result types of the functions in sql/ (a function whose argument is named
-- like one of its result columns cannot declare them with RETURNS TABLE).
-- ---------------------------------------------------------------------------

create type jobmon.distributor_task_instance_wire as (
    task_instance_id  bigint,
    task_id           bigint,
    workflow_run_id   bigint,
    workflow_id       bigint,
    status            text,
    distributor_id    text,
    task_resources_id bigint,
    array_id          bigint,
    array_batch_num   integer,
    array_step_id     integer
);
comment on type jobmon.distributor_task_instance_wire is
    'A task instance as the distributor sees it, in the reference model''s order (to_wire_as_distributor_task_instance).';

create type jobmon.worker_node_task_instance_wire as (
    task_instance_id bigint,
    status           text,
    workflow_run_id  bigint,
    task_id          bigint,
    name             text,
    command          text,
    workflow_id      bigint,
    stdout           text,
    stderr           text
);
comment on type jobmon.worker_node_task_instance_wire is
    'A task instance as the worker node sees it, in the reference model''s order (to_wire_as_worker_node_task_instance); stdout and stderr are the keys of the task resources'' requested_resources (NULL when missing).';

create type jobmon.log_running_result as (
    task_instance_id bigint,
    status           text,
    workflow_run_id  bigint,
    task_id          bigint,
    name             text,
    command          text,
    workflow_id      bigint,
    stdout           text,
    stderr           text,
    outcome          text,
    previous_status  text
);
comment on type jobmon.log_running_result is
    'Result of jobmon.log_running(): the worker-node wire form after the call, then outcome (''applied'' or ''unchanged'') and the status before the call. The worker runs the command only when status is R.';

create type jobmon.call_site_result as (
    task_instance_id bigint,
    task_id          bigint,
    outcome          text,
    previous_status  text,
    status           text,
    task_status      text,
    stale            boolean,
    status_date      timestamptz,
    report_by_date   timestamptz,
    distributor_id   text,
    error_log_id     bigint
);
comment on type jobmon.call_site_result is
    'Result of the call-site functions (log_heartbeat, log_done, log_error, log_unknown_error, log_distributor_id, log_no_distributor_id): outcome (see docs/sql-api.md), the task instance''s status before and after, its task''s status after, stale = true for an attempt its task has left behind, the task instance''s dates and distributor id after the call, and the id of the error-log row the call added (NULL when none).';
