-- Attempts never exceed the maximum: a task is tried at least once
-- (max_attempts >= 1; 0 used to queue a first attempt "1 of 0" anyway), and
-- num_attempts <= max_attempts always holds.
--
-- Rows from before: a max_attempts of 0 behaved as 1 (the first error failed
-- the task), so it becomes 1; a task that already counted more attempts than
-- its maximum gets that count as its maximum (it has none left either way).
-- depends: 0006_transition_history

update jobmon.task
   set max_attempts = greatest(num_attempts, 1)
 where max_attempts < greatest(num_attempts, 1);

alter table jobmon.task drop constraint task_max_attempts_check;
alter table jobmon.task add constraint task_max_attempts_check check (max_attempts >= 1);
alter table jobmon.task add constraint task_attempts_within_max check (num_attempts <= max_attempts);
comment on column jobmon.task.max_attempts is
    'How many times the task may be queued (at least 1). When num_attempts >= max_attempts, an error of a task instance fails the task (F); num_attempts never exceeds it.';
