-- The one shape of a task instance's move inside the functions: a row of
-- jobmon._move_task_instances() as a named type, so that the bodies that
-- collect such rows keep them typed (no positional row with a NULL in place
-- of a column the move does not return, no round trip through jsonb).
-- depends: 0011_installed_release

create type jobmon.task_instance_move_result as (
    task_instance_id     bigint,
    task_id              bigint,
    outcome              text,
    previous_status      text,
    status               text,
    task_previous_status text,
    task_status          text,
    task_num_attempts    integer,
    stale                boolean
);
comment on type jobmon.task_instance_move_result is
    'One row of jobmon._move_task_instances(): a task instance''s outcome in a set-based move, its statuses and its task''s before and after. Used inside the functions only.';
