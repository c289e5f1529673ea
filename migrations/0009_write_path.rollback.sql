-- Undoes 0009_write_path.sql (migrate applies sql/ again).
create index ix_task_instance_move_effect on jobmon.task_instance_move (to_status, task_status, task_to_status);
create index ix_task_instance_distributor_id on jobmon.task_instance (distributor_id);
alter table jobmon.task_instance reset (fillfactor);
drop index jobmon.ix_task_instance_live_by_run;
create index ix_task_instance_live_by_run on jobmon.task_instance (workflow_run_id, status, report_by_date)
    where status in ('Q', 'I', 'O', 'R', 'T', 'X', 'K');
comment on table jobmon.transition_history is
    'One row per applied move of a task instance (from_status NULL: created) and of a task, in the order of id (status dates can go backwards across transactions; id cannot). Written by triggers on jobmon.task_instance and jobmon.task in the same transaction as the move; turned off and on per database with jobmon.set_history(). Read with jobmon.task_instance_history().';
comment on column jobmon.transition_history.task_instance_id is
    'For a task instance: itself. For a task: the task instance whose move caused it (its current attempt, when the rules explain the task move by that attempt''s status); NULL for a move no task instance caused (for example a resume reset or a queueing).';
comment on column jobmon.transition_history.function_name is
    'The public jobmon function the caller called to make the move (the function-level setting jobmon.route, else jobmon.function); NULL for a direct UPDATE.';
drop function if exists jobmon.set_history(boolean);
drop table jobmon.history_setting;
