-- Undoes 0003_call_sites.sql, with the functions of sql/ that read what it
-- made (migrate applies sql/ again).
drop function if exists jobmon.distributor_task_instances(bigint[]);
drop function if exists jobmon.worker_node_task_instance(bigint);
drop type jobmon.worker_node_task_instance_wire;
drop type jobmon.distributor_task_instance_wire;
comment on column jobmon.task_resources.requested_resources is null;
alter table jobmon.task_resources
    alter column requested_resources type text using requested_resources::text;
