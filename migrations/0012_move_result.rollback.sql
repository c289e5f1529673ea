-- Undoes 0012_move_result.sql, with the functions of sql/ that read what it
-- made (migrate applies sql/ again).
drop function if exists jobmon._move_task_instances(bigint[], text, text[], text[], timestamptz, boolean, text);
drop function if exists jobmon.instantiate_task_instances(bigint[]);
drop function if exists jobmon.launch_array_batch(bigint, integer, interval);
drop function if exists jobmon.terminate_workflow_run(bigint, boolean);
drop type if exists jobmon.task_instance_move_result;
