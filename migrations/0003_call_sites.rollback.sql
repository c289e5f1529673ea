-- Undoes 0003_call_sites.sql, with the functions of sql/ that read what it
-- made (migrate applies sql/ again).
drop function if exists jobmon.distributor_task_instances(bigint[]);
drop function if exists jobmon.worker_node_task_instance(bigint);
drop function if exists jobmon._worker_node_task_instance(bigint);
drop function if exists jobmon.log_running(bigint, text, integer, interval, text);
drop function if exists jobmon.log_heartbeat(bigint, interval);
drop function if exists jobmon.log_done(bigint, text, text, text, text, text, text, text, text, text, text, text);
drop function if exists jobmon.log_error(bigint, text, text, text, text, text, text, text, text, text, text, text, text, text);
drop function if exists jobmon.log_unknown_error(bigint, text);
drop function if exists jobmon.log_distributor_id(bigint, text, interval);
drop function if exists jobmon.log_no_distributor_id(bigint, text);
drop function if exists jobmon._call_site_result(bigint, text, text, boolean, text);
drop type if exists jobmon.call_site_result;
drop type if exists jobmon.log_running_result;
drop type if exists jobmon.worker_node_task_instance_wire;
drop type if exists jobmon.distributor_task_instance_wire;
comment on column jobmon.task_resources.requested_resources is null;
alter table jobmon.task_resources
    alter column requested_resources type text using requested_resources::text;
