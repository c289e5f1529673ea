-- Guards on rows that the functions rely on. Applied repeatably by the
-- post-apply step.

-- ---------------------------------------------------------------------------
-- jobmon._refuse_task_change() returns trigger
--
-- A task instance belongs to one task for ever: the functions lock a task
-- instance's task before the task instance, reading task_id before any lock
-- is held, which is right only if task_id never changes. Fires only when an
-- UPDATE sets task_id (so a status move pays nothing for it); raises 55000.
-- ---------------------------------------------------------------------------
create or replace function jobmon._refuse_task_change()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
    if new.task_id is distinct from old.task_id then
        raise exception 'TaskInstance id: % belongs to Task id: %; it cannot move to another task', old.id, old.task_id
            using errcode = '55000',
                  hint = 'Queue a new task instance for the other task instead.';
    end if;
    return new;
end;
$$;
comment on function jobmon._refuse_task_change() is
    'Internal. Trigger: a task instance never changes task (the lock order relies on it).';

select jobmon._ensure_trigger('jobmon.task_instance', 'task_instance_task_is_fixed',
    'CREATE TRIGGER task_instance_task_is_fixed BEFORE UPDATE OF task_id ON jobmon.task_instance'
    ' FOR EACH ROW EXECUTE FUNCTION jobmon._refuse_task_change()');
