-- Undoes 0005_failure_and_resume.sql, with the functions and the trigger of
-- sql/70_failure_and_resume.sql that read what it made (migrate applies sql/
-- again).
drop trigger if exists track_status_xid on jobmon.task;
drop function if exists jobmon._track_task_status_xid();
drop function if exists jobmon.task_status_changes(bigint, bigint);
drop function if exists jobmon.reset_tasks_for_resume(bigint, boolean);
drop function if exists jobmon.terminate_workflow_run(bigint, boolean);
drop function if exists jobmon.kill_task_instances(bigint[]);
drop function if exists jobmon.triage_overdue(bigint, interval);
drop index if exists jobmon.ix_task_instance_live_by_run;
drop index if exists jobmon.ix_task_workflow_id_status_xid;
alter table jobmon.task drop column status_xid;
delete from jobmon.task_transition where kind = 'resume';
