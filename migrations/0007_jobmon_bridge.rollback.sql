-- Undoes 0007_jobmon_bridge.sql, with jobmon.bind_tasks() of
-- sql/65_bind_tasks.sql, which relies on the task key (migrate applies sql/ again).
-- The file's two helpers stay: jobmon.reset_tasks_for_resume() calls them.
drop function if exists jobmon.bind_tasks(bigint, bigint[], text[], bigint[], bigint[], text[], text[], integer[],
                                          text[], text[], boolean[]);
alter table jobmon.task drop constraint ux_task_workflow_node_args;
alter table jobmon.task_resources drop column queue_id, drop column task_resources_type_id;
alter table jobmon.array
    drop constraint uc_task_template_version_id_workflow_id,
    drop column task_template_version_id, drop column max_concurrently_running, drop column created_date;
drop index jobmon.ix_workflow_run_workflow_id;
alter table jobmon.workflow_run
    drop column "user", drop column jobmon_version, drop column jobmon_server_version, drop column status,
    drop column created_date, drop column status_date, drop column heartbeat_date;
drop index jobmon.ix_workflow_args_hash;
drop index jobmon.ix_workflow_dag_id;
alter table jobmon.workflow
    drop column tool_version_id, drop column dag_id, drop column workflow_args_hash, drop column task_hash,
    drop column description, drop column workflow_args, drop column max_concurrently_running,
    drop column created_date, drop column status_date, drop column status;
