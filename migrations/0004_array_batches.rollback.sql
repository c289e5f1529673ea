-- Undoes 0004_array_batches.sql, with the functions of sql/ that read what it
-- made (migrate applies sql/ again).
drop function if exists jobmon.queue_task_batch(bigint[], bigint, bigint, bigint);
drop function if exists jobmon.instantiate_task_instances(bigint[]);
drop function if exists jobmon.launch_array_batch(bigint, integer, interval);
drop function if exists jobmon.log_array_distributor_ids(bigint, integer, integer[], text[]);
drop function if exists jobmon.log_heartbeats(bigint[], interval);
drop function if exists jobmon.array_task_instance(bigint, integer, integer);
drop type jobmon.heartbeat_result;
drop type jobmon.array_distributor_id_result;
drop type jobmon.launched_task_instance;
drop type jobmon.instantiated_task_instance;
drop type jobmon.queue_task_batch_result;
alter table jobmon.task_instance drop constraint ix_array_batch_index;
create index ix_array_batch_index on jobmon.task_instance (array_id, array_batch_num, array_step_id);
alter table jobmon.array drop column next_batch_num;
