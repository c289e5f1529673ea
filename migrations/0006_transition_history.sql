-- The transition history: one row per applied move of a task instance (and
-- per task instance created) and per move of a task, written by triggers
-- (sql/80_history.sql) in the same transaction as the move.
-- depends: 0002_roles_and_derived_rules

create table jobmon.transition_history (
    id               bigint generated always as identity primary key,
    model            text        not null check (model in ('TaskInstance', 'Task')),
    object_id        bigint      not null,
    task_id          bigint      not null,
    task_instance_id bigint,
    from_status      text,
    to_status        text        not null,
    recorded_at      timestamptz not null default clock_timestamp(),
    function_name    text,
    role_name        name        not null default session_user,
    application_name text                 default nullif(current_setting('application_name'), ''),
    check (case model when 'Task' then object_id = task_id else task_instance_id = object_id end)
);
-- One index serves both readings: the history of one task (its moves and its
-- task instances' moves) and of one task instance (the same rows, filtered).
create index ix_transition_history_task_id_id on jobmon.transition_history (task_id, id);
-- The history finds the task instance behind a task move by the move's effect.
create index ix_task_instance_move_effect on jobmon.task_instance_move (to_status, task_status, task_to_status);

comment on table jobmon.transition_history is
    'One row per applied move of a task instance (from_status NULL: created) and of a task, in the order of id (status dates can go backwards across transactions; id cannot). Written by triggers on jobmon.task_instance and jobmon.task in the same transaction as the move; turned off and on per database with jobmon.set_history(). Read with jobmon.task_instance_history().';
comment on column jobmon.transition_history.id is 'The order of the history: increasing in the order the moves were made.';
comment on column jobmon.transition_history.model is '''TaskInstance'' or ''Task''.';
comment on column jobmon.transition_history.object_id is 'The task instance or the task that moved.';
comment on column jobmon.transition_history.task_id is 'The task (of the task instance, or the task itself).';
comment on column jobmon.transition_history.task_instance_id is
    'For a task instance: itself. For a task: the task instance whose move caused it (its current attempt, when the rules explain the task move by that attempt''s status); NULL for a move no task instance caused (for example a resume reset or a queueing).';
comment on column jobmon.transition_history.from_status is 'Status before; NULL when the task instance was created.';
comment on column jobmon.transition_history.to_status is 'Status after.';
comment on column jobmon.transition_history.recorded_at is 'clock_timestamp() when the row was written (status_date is the transaction start).';
comment on column jobmon.transition_history.function_name is
    'The public jobmon function the caller called to make the move (the function-level setting jobmon.route, else jobmon.function); NULL for a direct UPDATE.';
comment on column jobmon.transition_history.role_name is 'session_user: the role that logged in (inside the SECURITY DEFINER functions current_user is the owner).';
comment on column jobmon.transition_history.application_name is 'The client''s application_name, NULL when unset.';
