-- Undoes 0006_transition_history.sql, with the functions and triggers of
-- sql/80_history.sql that use the table (migrate applies sql/ again).
drop trigger if exists record_history_insert on jobmon.task_instance;
drop trigger if exists record_history_update on jobmon.task_instance;
drop trigger if exists record_history on jobmon.task;
drop function if exists jobmon._record_task_instance_history();
drop function if exists jobmon._record_task_history();
drop function if exists jobmon._history_function();
drop function if exists jobmon.task_instance_history(bigint);
drop function if exists jobmon.set_history(boolean);
drop function if exists jobmon.history_enabled();
drop table jobmon.transition_history;
drop index if exists jobmon.ix_task_instance_move_effect;
