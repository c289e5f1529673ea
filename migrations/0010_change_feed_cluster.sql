-- The change feed (jobmon.task_status_changes) across a dump and restore.
-- task.status_xid is a transaction id of the cluster that wrote it; restored
-- into another cluster (whose transaction counter may be lower) those ids
-- mean nothing there. status_cluster records which cluster wrote status_xid
-- (pg_control_system().system_identifier): the feed returns the rows of
-- another cluster to cursor 0 and refuses a cursor issued by another
-- cluster (JM030). 0: written before this migration.
-- depends: 0005_failure_and_resume

alter table jobmon.task add column status_cluster bigint not null default 0;
alter table jobmon.task alter column status_cluster set default (pg_catalog.pg_control_system()).system_identifier;
comment on column jobmon.task.status_cluster is
    'The cluster (pg_control_system().system_identifier) whose transaction status_xid is; 0 if written before migration 0010. Written with status_xid; read by jobmon.task_status_changes().';
