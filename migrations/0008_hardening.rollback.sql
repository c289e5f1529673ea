-- Undoes 0008_hardening.sql (the rows it raised to max_attempts 1 keep it).
alter table jobmon.task drop constraint task_attempts_within_max;
alter table jobmon.task drop constraint task_max_attempts_check;
alter table jobmon.task add constraint task_max_attempts_check check (max_attempts >= 0);
comment on column jobmon.task.max_attempts is 'When num_attempts >= max_attempts, an error of a task instance fails the task (F).';
