-- Upstream Jobmon's server on this schema (jobmon_db.jobmon_server): the
-- columns upstream's models read and write on the parent tables that are
-- jobmon-db's (workflow, workflow_run, array, task_resources), so that its
-- own copies of those tables are not needed, and the key a task is bound by.
-- Upstream's other tables (tools, DAGs, nodes, task templates, ...) are not
-- created here: `jobmon-db jobmon-server --prepare-only` creates them with
-- upstream's own migrations, in their own schema.
-- depends: 0006_transition_history

alter table jobmon.workflow
    add column tool_version_id          bigint,
    add column dag_id                   bigint,
    add column workflow_args_hash       varchar(150),
    add column task_hash                varchar(150),
    add column description              text,
    add column workflow_args            text,
    add column max_concurrently_running integer,
    add column created_date             timestamptz,
    add column status_date              timestamptz default now(),
    add column status                   varchar(1) not null default 'G';
create index ix_workflow_args_hash on jobmon.workflow (workflow_args_hash);
create index ix_workflow_dag_id on jobmon.workflow (dag_id);
comment on column jobmon.workflow.status is
    'Upstream Jobmon''s workflow status (G registering, Q, R, D, F, H, A, ...); jobmon-db''s functions do not read it.';
comment on column jobmon.workflow.created_date is
    'Set when the last chunk of tasks was bound (upstream Jobmon: the workflow is resumable from then on).';

alter table jobmon.workflow_run
    add column "user"                varchar(150),
    add column jobmon_version        varchar(150) default 'UNKNOWN',
    add column jobmon_server_version varchar(150),
    add column status                varchar(1) not null default 'G',
    add column created_date          timestamptz default now(),
    add column status_date           timestamptz default now(),
    add column heartbeat_date        timestamptz default now();
create index ix_workflow_run_workflow_id on jobmon.workflow_run (workflow_id);
comment on column jobmon.workflow_run.status is
    'Upstream Jobmon''s workflow-run status (G registered, L, B, R, D, C, H, T, E, ...); jobmon-db''s functions do not read it.';

alter table jobmon.array
    add column task_template_version_id bigint,
    add column max_concurrently_running integer,
    add column created_date             timestamptz default now(),
    add constraint uc_task_template_version_id_workflow_id unique (task_template_version_id, workflow_id);

alter table jobmon.task_resources
    add column queue_id               bigint,
    add column task_resources_type_id varchar(1);

-- A task is bound (registered once, found again on a rebind) by its node and
-- its arguments within its workflow: jobmon.bind_tasks() relies on it.
alter table jobmon.task add constraint ux_task_workflow_node_args unique (workflow_id, node_id, task_args_hash);
