-- Undoes 0002_roles_and_derived_rules.sql, with the functions of sql/ that
-- read what it made (migrate applies sql/ again). The roles stay: they are
-- cluster-wide and other databases on this server may use them.
drop function if exists jobmon._secure_schema();
drop function if exists jobmon._privileges();
drop function if exists jobmon._refresh_derived_rules_trigger() cascade;
drop function if exists jobmon._refresh_derived_rules();
drop function if exists jobmon._task_instance_moves_from_rules();
drop function if exists jobmon._task_instance_move_rule_body();
drop function if exists jobmon._task_instance_move_rule(text, text, text, boolean);
drop function if exists jobmon._status_check(regclass);
alter type jobmon.task_instance_transition_result drop attribute stale;
alter table jobmon.task drop column current_attempt_from;
drop table jobmon.task_instance_move;
delete from jobmon.task_transition where kind <> 'cascade';
alter table jobmon.task_transition drop constraint task_transition_pkey,
    drop column kind, add primary key (from_status, to_status);
alter table jobmon.task_instance drop constraint if exists task_instance_status_code,
    add constraint task_instance_status_fkey foreign key (status) references jobmon.task_instance_status (id);
alter table jobmon.task drop constraint if exists task_status_code,
    add constraint task_status_fkey foreign key (status) references jobmon.task_status (id);
drop table jobmon.deployment_role;
