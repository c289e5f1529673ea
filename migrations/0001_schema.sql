-- The jobmon schema: status lookup tables, the transition rules as data, and
-- the tables a task instance belongs to.
--
-- Function bodies are not here: they live in sql/ and are applied by the
-- post-apply step after every migration run.

create schema jobmon;
comment on schema jobmon is
    'jobmon-db: the Jobmon task and task-instance state machines. Call jobmon.transition_task_instance() to move a task instance; see docs/sql-api.md.';

-- ---------------------------------------------------------------------------
-- Statuses
-- ---------------------------------------------------------------------------

create table jobmon.task_instance_status (
    id          text primary key check (id ~ '^[A-Z]$'),
    label       text not null unique,
    description text not null
);
comment on table jobmon.task_instance_status is
    'The 13 task-instance statuses: one-character code, label and meaning.';

insert into jobmon.task_instance_status (id, label, description) values
    ('Q', 'QUEUED',            'queued for submission to the cluster (the status a new task instance starts in)'),
    ('I', 'INSTANTIATED',      'created by the distributor, not yet submitted'),
    ('O', 'LAUNCHED',          'submitted to the cluster'),
    ('W', 'NO_DISTRIBUTOR_ID', 'submission failed: no distributor id came back'),
    ('R', 'RUNNING',           'the worker node reported it started'),
    ('T', 'TRIAGING',          'stopped heartbeating while running; the reconciler is finding out why'),
    ('X', 'NO_HEARTBEAT',      'never heartbeated while launched'),
    ('Z', 'RESOURCE_ERROR',    'died for lack of memory or runtime'),
    ('U', 'UNKNOWN_ERROR',     'stopped reporting for an unknown reason'),
    ('E', 'ERROR',             'application error (non-zero exit)'),
    ('D', 'DONE',              'finished successfully'),
    ('K', 'KILL_SELF',         'told to kill itself (a new workflow run resumed the workflow)'),
    ('F', 'ERROR_FATAL',       'failed and will not be retried');

create table jobmon.task_status (
    id          text primary key check (id ~ '^[A-Z]$'),
    label       text not null unique,
    description text not null
);
comment on table jobmon.task_status is
    'The 9 task statuses: one-character code, label and meaning.';

insert into jobmon.task_status (id, label, description) values
    ('G', 'REGISTERING',         'registered, waiting to be queued'),
    ('Q', 'QUEUED',              'queued: a task instance is about to be created'),
    ('I', 'INSTANTIATING',       'a task instance was created for it'),
    ('O', 'LAUNCHED',            'its task instance was submitted to the cluster'),
    ('R', 'RUNNING',             'its task instance is running'),
    ('D', 'DONE',                'finished successfully'),
    ('E', 'ERROR_RECOVERABLE',   'its task instance failed; a retry decision follows'),
    ('A', 'ADJUSTING_RESOURCES', 'its task instance hit a resource error; resources are adjusted before a retry'),
    ('F', 'ERROR_FATAL',         'failed and will not be retried');

-- ---------------------------------------------------------------------------
-- Transition rules (the only place the allowed pairs are written down)
-- ---------------------------------------------------------------------------

create table jobmon.task_instance_transition (
    from_status text    not null references jobmon.task_instance_status (id),
    to_status   text    not null references jobmon.task_instance_status (id),
    kind        text    not null check (kind in ('valid', 'untimely')),
    reason      text    not null,
    primary key (from_status, to_status)
);
comment on table jobmon.task_instance_transition is
    'Task-instance transition rules. kind = valid: the move is applied and cascades to the task. kind = untimely: a known race between the distributor, the worker node and the reconciler; the request is ignored and is not an error. Any pair not listed is invalid (SQLSTATE JM001).';
comment on column jobmon.task_instance_transition.kind is
    '''valid'' (applied) or ''untimely'' (ignored: a late report that lost a race).';
comment on column jobmon.task_instance_transition.reason is
    'Why the pair exists, from the reference model.';

insert into jobmon.task_instance_transition (from_status, to_status, kind, reason) values
    ('Q', 'I', 'valid', 'the distributor instantiates a queued task instance'),
    ('Q', 'K', 'valid', 'a new workflow run tells a queued task instance to die'),
    ('I', 'O', 'valid', 'the distributor launches the task instance'),
    ('I', 'W', 'valid', 'submission hit a bug and no distributor id came back'),
    ('I', 'K', 'valid', 'a new workflow run tells a task instance mid-submission to die'),
    ('I', 'R', 'valid', 'the worker logs running before the distributor logs submitted (race)'),
    ('O', 'R', 'valid', 'the worker node reports it started'),
    ('O', 'U', 'valid', 'vanished from the distributor heartbeat before running, no exit status known'),
    ('O', 'X', 'valid', 'never heartbeated while launched: distributor failing or worker never started'),
    ('O', 'Z', 'valid', 'vanished before running and the distributor found a resource-error exit status'),
    ('O', 'K', 'valid', 'a new workflow run tells a launched task instance to die'),
    ('O', 'F', 'valid', 'fail the task at once, for example on an environment mismatch'),
    ('R', 'T', 'valid', 'stopped heartbeating while running; the reconciler triages it'),
    ('R', 'E', 'valid', 'application error (happy path of a failure)'),
    ('R', 'U', 'valid', 'stopped heartbeating and the reconciler found no exit status'),
    ('R', 'Z', 'valid', 'the reconciler or the worker node found a resource error'),
    ('R', 'K', 'valid', 'a new workflow run tells a running task instance to die'),
    ('R', 'D', 'valid', 'finished normally (happy path)'),
    ('T', 'R', 'valid', 'triaging found it still running'),
    ('T', 'Z', 'valid', 'triaging found a resource error'),
    ('T', 'U', 'valid', 'triaging found no exit status'),
    ('T', 'F', 'valid', 'triaging found a fatal error'),
    ('K', 'F', 'valid', 'a task instance told to die is failed'),
    ('K', 'D', 'valid', 'the task was reset by a workflow resume and the worker finished gracefully'),
    ('X', 'E', 'valid', 'a recoverable error after failing to heartbeat while launched'),
    ('R', 'O', 'untimely', 'the worker logged running before the distributor logged launched'),
    ('E', 'O', 'untimely', 'the worker node errored before the distributor logged launched'),
    ('E', 'U', 'untimely', 'the reconciler logged an unknown error after the worker reported an application error'),
    ('E', 'E', 'untimely', 'both the worker node and the distributor reported the error'),
    ('U', 'D', 'untimely', 'the reconciler logged an unknown error before the worker finished gracefully'),
    ('U', 'E', 'untimely', 'the worker reported an application error after the reconciler logged an unknown error; the task may be running again'),
    ('U', 'Z', 'untimely', 'the worker reported a resource error after the reconciler logged an unknown error; the task may be running again'),
    ('Z', 'U', 'untimely', 'the worker reported a resource error before the reconciler logged an unknown error'),
    ('D', 'U', 'untimely', 'the worker finished gracefully before the reconciler logged an unknown error'),
    ('K', 'E', 'untimely', 'the task was reset by a workflow resume and the worker then hit an application error'),
    ('K', 'Z', 'untimely', 'the task was reset by a workflow resume and a resource error was then found'),
    ('K', 'U', 'untimely', 'the task was reset by a workflow resume and the reconciler then found an unknown error');

create table jobmon.task_transition (
    from_status text    not null references jobmon.task_status (id),
    to_status   text    not null references jobmon.task_status (id),
    reason      text    not null,
    primary key (from_status, to_status)
);
comment on table jobmon.task_transition is
    'Valid task transitions. A move to the status the task already has does nothing; any other pair not listed is invalid (SQLSTATE JM002 during a task-instance cascade). Entering Q counts one attempt.';

insert into jobmon.task_transition (from_status, to_status, reason) values
    ('G', 'Q', 'a registered task is queued'),
    ('A', 'Q', 'a task with adjusted resources is queued again'),
    ('Q', 'I', 'a task instance was created for the queued task'),
    ('I', 'O', 'its task instance was launched'),
    ('I', 'E', 'its task instance failed before launch'),
    ('I', 'R', 'its task instance reported running before launch'),
    ('O', 'R', 'its task instance is running'),
    ('O', 'E', 'its task instance failed after launch'),
    ('R', 'D', 'its task instance finished'),
    ('R', 'E', 'its task instance failed while running'),
    ('E', 'A', 'retry after a resource error: adjust resources first'),
    ('E', 'Q', 'retry at once'),
    ('E', 'F', 'no attempts left, or the task instance failed fatally'),
    ('E', 'G', 'retry: register the task again');

-- ---------------------------------------------------------------------------
-- The tables a task instance belongs to
-- ---------------------------------------------------------------------------

create table jobmon.workflow (
    id   bigint generated always as identity primary key,
    name text
);
comment on table jobmon.workflow is 'A Jobmon workflow (minimal: the foreign keys need it).';

create table jobmon.workflow_run (
    id          bigint generated always as identity primary key,
    workflow_id bigint not null references jobmon.workflow (id)
);
comment on table jobmon.workflow_run is 'One run of a workflow (minimal: the foreign keys need it).';

create table jobmon.array (
    id          bigint generated always as identity primary key,
    workflow_id bigint not null references jobmon.workflow (id),
    name        text
);
comment on table jobmon.array is 'A group of tasks submitted as one cluster array job (minimal).';

create table jobmon.task_resources (
    id                  bigint generated always as identity primary key,
    requested_resources text
);
comment on table jobmon.task_resources is 'Resources requested for a task (minimal: the foreign keys need it).';

create table jobmon.task (
    id                bigint generated always as identity primary key,
    workflow_id       bigint  not null references jobmon.workflow (id),
    node_id           bigint,
    task_args_hash    text,
    array_id          bigint references jobmon.array (id),
    name              text,
    command           text,
    task_resources_id bigint references jobmon.task_resources (id),
    num_attempts      integer not null default 0 check (num_attempts >= 0),
    max_attempts      integer not null default 1 check (max_attempts >= 0),
    resource_scales   text,
    fallback_queues   text,
    status            text not null default 'G' references jobmon.task_status (id),
    status_date       timestamptz not null default now()
);
create index ix_task_workflow_id_status_date on jobmon.task (workflow_id, status_date);
comment on table jobmon.task is
    'A task of a workflow. Its status follows the task state machine (jobmon.task_transition) and is moved by the cascade of jobmon.transition_task_instance().';
comment on column jobmon.task.num_attempts is 'Attempts counted so far: one each time the task enters Q.';
comment on column jobmon.task.max_attempts is 'When num_attempts >= max_attempts, an error of a task instance fails the task (F).';
comment on column jobmon.task.status_date is 'When status last changed (or num_attempts).';

create table jobmon.task_instance (
    id                bigint generated always as identity primary key,
    workflow_run_id   bigint references jobmon.workflow_run (id),
    array_id          bigint references jobmon.array (id),
    task_id           bigint not null references jobmon.task (id),
    distributor_id    varchar(20),
    task_resources_id bigint references jobmon.task_resources (id),
    array_batch_num   integer,
    array_step_id     integer,
    nodename          varchar(150),
    process_group_id  integer,
    usage_str         varchar(250),
    wallclock         varchar(50),
    maxrss            varchar(50),
    maxpss            varchar(50),
    cpu               varchar(50),
    io                varchar(50),
    stdout            varchar(2048),
    stderr            varchar(2048),
    stdout_log        text,
    stderr_log        text,
    status            text not null default 'Q' references jobmon.task_instance_status (id),
    submitted_date    timestamptz,
    status_date       timestamptz not null default now(),
    report_by_date    timestamptz
);
create index ix_array_batch_index on jobmon.task_instance (array_id, array_batch_num, array_step_id);
create index ix_status_status_date on jobmon.task_instance (status, status_date);
create index ix_task_instance_task_id on jobmon.task_instance (task_id);
create index ix_task_instance_distributor_id on jobmon.task_instance (distributor_id);
create index ix_task_instance_task_resources_id on jobmon.task_instance (task_resources_id);
comment on table jobmon.task_instance is
    'One attempt to run a task. Starts in Q; move it only with jobmon.transition_task_instance().';
comment on column jobmon.task_instance.status is 'Current status (jobmon.task_instance_status).';
comment on column jobmon.task_instance.status_date is 'When status last changed.';

create table jobmon.task_instance_error_log (
    id               bigint generated always as identity primary key,
    task_instance_id bigint not null references jobmon.task_instance (id),
    error_time       timestamptz not null default now(),
    description      text
);
create index ix_task_instance_error_log_task_instance_id on jobmon.task_instance_error_log (task_instance_id);
comment on table jobmon.task_instance_error_log is 'One row per error report of a task instance.';

-- ---------------------------------------------------------------------------
-- Result type of jobmon.transition_task_instance() (the function is in sql/)
-- ---------------------------------------------------------------------------

create type jobmon.task_instance_transition_result as (
    task_instance_id     bigint,
    task_id              bigint,
    outcome              text,
    previous_status      text,
    status               text,
    task_previous_status text,
    task_status          text,
    task_num_attempts    integer,
    status_date          timestamptz
);
comment on type jobmon.task_instance_transition_result is
    'Result of jobmon.transition_task_instance(): outcome is ''applied'' or ''untimely''; statuses are the codes before and after (equal when untimely); status_date is the task instance''s.';

-- ---------------------------------------------------------------------------
-- Bookkeeping for the repeatable SQL in sql/
-- ---------------------------------------------------------------------------

create table jobmon.repeatable_sql (
    file       text primary key,
    sha256     text not null,
    applied_at timestamptz not null default now()
);
comment on table jobmon.repeatable_sql is
    'Checksum of each sql/ file as last applied by the post-apply step; a file is re-applied only when it changed.';
