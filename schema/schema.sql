-- The jobmon schema as a fresh `jobmon-db migrate` makes it. Generated: python -m jobmon_db.schema_dump

--
-- PostgreSQL database dump
--

--
-- Name: jobmon; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA jobmon;

--
-- Name: SCHEMA jobmon; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA jobmon IS 'jobmon-db: the Jobmon task and task-instance state machines. Call jobmon.transition_task_instance() to move a task instance; see docs/sql-api.md.';

--
-- Name: task_instance_transition_result; Type: TYPE; Schema: jobmon; Owner: -
--

CREATE TYPE jobmon.task_instance_transition_result AS (
	task_instance_id bigint,
	task_id bigint,
	outcome text,
	previous_status text,
	status text,
	task_previous_status text,
	task_status text,
	task_num_attempts integer,
	status_date timestamp with time zone
);

--
-- Name: TYPE task_instance_transition_result; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TYPE jobmon.task_instance_transition_result IS 'Result of jobmon.transition_task_instance(): outcome is ''applied'' or ''untimely''; statuses are the codes before and after (equal when untimely); status_date is the task instance''s.';

--
-- Name: describe_statuses(text[]); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon.describe_statuses(codes text[]) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    select coalesce(string_agg(format('%s (%s)', s.id, s.label), ', ' order by c.ord), 'none')
      from unnest(codes) with ordinality as c(code, ord)
      join jobmon.task_instance_status s on s.id = c.code;
$$;

--
-- Name: FUNCTION describe_statuses(codes text[]); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon.describe_statuses(codes text[]) IS 'Formats task-instance status codes with their labels for error messages: ''I (INSTANTIATED), K (KILL_SELF)''.';

--
-- Name: describe_task_instance_transitions_from(text); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon.describe_task_instance_transitions_from(status text) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    select format('Valid transitions from %s: %s. Untimely (ignored, not errors): %s.',
                  jobmon.describe_statuses(array[status]),
                  jobmon.describe_statuses(array(
                      select t.to_status from jobmon.task_instance_transition t
                       where t.from_status = status and t.kind = 'valid' order by t.to_status)),
                  jobmon.describe_statuses(array(
                      select t.to_status from jobmon.task_instance_transition t
                       where t.from_status = status and t.kind = 'untimely' order by t.to_status)));
$$;

--
-- Name: FUNCTION describe_task_instance_transitions_from(status text); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon.describe_task_instance_transitions_from(status text) IS 'Lists the valid and untimely task-instance transitions from a status (the DETAIL of a JM001 error).';

--
-- Name: require_task_instance_status(text); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon.require_task_instance_status(status text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    suggestion text;
begin
    if status is null then
        raise exception 'new_status must not be NULL'
            using errcode = '22004',
                  hint = 'Pass a task-instance status code such as ''R''.';
    end if;
    if exists (select 1 from jobmon.task_instance_status s where s.id = status) then
        return status;
    end if;

    select format('Use the one-character code: %s (%s).', s.id, s.label)
      into suggestion
      from jobmon.task_instance_status s
     where s.label = upper(btrim(status)) or s.id = upper(btrim(status));

    raise exception 'Unknown task instance status: %', quote_literal(status)
        using errcode = '22023',
              detail = 'Valid codes: ' || jobmon.describe_statuses(
                  array(select s.id from jobmon.task_instance_status s order by s.id)) || '.',
              hint = coalesce(suggestion, 'Status codes are one upper-case letter; labels are not accepted.');
end;
$$;

--
-- Name: FUNCTION require_task_instance_status(status text); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon.require_task_instance_status(status text) IS 'Returns the argument if it is a task-instance status code, else raises 22004 (NULL) or 22023 (unknown code; DETAIL lists the valid codes).';

--
-- Name: task_moves_on_entering(text, integer, integer); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon.task_moves_on_entering(task_instance_status text, num_attempts integer, max_attempts integer) RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
    return case
        when task_instance_status in ('Q', 'I', 'O', 'R', 'D') then array[task_instance_status]
        when task_instance_status in ('W', 'E', 'U', 'Z') then array['E',
            case when num_attempts >= max_attempts then 'F'
                 when task_instance_status = 'Z' then 'A'
                 else 'G' end]
        when task_instance_status = 'F' then array['E', 'F']
        else array[]::text[]
    end;
end;
$$;

--
-- Name: FUNCTION task_moves_on_entering(task_instance_status text, num_attempts integer, max_attempts integer); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon.task_moves_on_entering(task_instance_status text, num_attempts integer, max_attempts integer) IS 'The task moves, in order, that a task instance entering the given status asks for (the cascade). Error states W, E, U, Z give E then F (no attempts left), A (resource error) or G.';

--
-- Name: transition_task_instance(bigint, text); Type: FUNCTION; Schema: jobmon; Owner: -
--

CREATE FUNCTION jobmon.transition_task_instance(task_instance_id bigint, new_status text) RETURNS jobmon.task_instance_transition_result
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
    ti_id      constant bigint := transition_task_instance.task_instance_id;
    locked_task_id bigint;
    status_known boolean;
    task_row   jobmon.task;
    ti_status  text;
    rule_kind  text;
    next_task_status text;
    result     jobmon.task_instance_transition_result;
begin
    if ti_id is null then
        raise exception 'task_instance_id must not be NULL'
            using errcode = '22004';
    end if;
    -- Lock the task, then the task instance. task_id is read before any lock
    -- is held, so it is re-checked under the lock and the locks are taken
    -- again if the task instance moved to another task meanwhile.
    -- Reads share statements where they can, for speed: every statement has
    -- a fixed cost of its own, a large part of a whole transition's.
    loop
        -- new_status is checked first (an unknown code is reported even for a
        -- missing task instance); the helper only runs to raise the error.
        select exists (select 1 from jobmon.task_instance_status s where s.id = new_status),
               (select ti.task_id from jobmon.task_instance ti where ti.id = ti_id)
          into status_known, locked_task_id;
        if not status_known then
            perform jobmon.require_task_instance_status(new_status);
        end if;
        if locked_task_id is null then
            raise exception 'TaskInstance id: % not found', ti_id
                using errcode = 'JM003';
        end if;

        select * into strict task_row
          from jobmon.task t where t.id = locked_task_id
           for no key update;

        -- A valid move is written at once: the UPDATE locks the task instance
        -- (in FOR NO KEY UPDATE mode) and checks the rule against the row as
        -- locked, which saves a separate lock and its WAL record. The task
        -- moves are checked below; an invalid one raises, which undoes this.
        update jobmon.task_instance ti
           set status = new_status, status_date = now()
          from jobmon.task_instance_transition r
         where ti.id = ti_id and ti.task_id = locked_task_id
           and r.from_status = ti.status and r.to_status = new_status and r.kind = 'valid'
        returning r.from_status, r.kind, ti.status_date
             into ti_status, rule_kind, result.status_date;
        exit when found;

        -- Not valid (or moved): lock the task instance and read why. A valid
        -- pair here means the row changed since the UPDATE looked: go again.
        select ti.status, ti.status_date,
               (select r.kind from jobmon.task_instance_transition r
                 where r.from_status = ti.status and r.to_status = new_status)
          into ti_status, result.status_date, rule_kind
          from jobmon.task_instance ti
         where ti.id = ti_id and ti.task_id = locked_task_id
           for no key update;
        exit when found and rule_kind is distinct from 'valid';
    end loop;

    result.task_instance_id := ti_id;
    result.task_id := task_row.id;
    result.previous_status := ti_status;
    result.task_previous_status := task_row.status;

    if rule_kind = 'untimely' then
        result.outcome := 'untimely';
        result.status := ti_status;
        result.task_status := task_row.status;
        result.task_num_attempts := task_row.num_attempts;
        return result;
    end if;

    if rule_kind is null then
        raise exception 'Cannot transition TaskInstance id: % from % to %', ti_id, ti_status, new_status
            using errcode = 'JM001',
                  detail = jobmon.describe_task_instance_transitions_from(ti_status),
                  hint = 'Nothing was changed. Read the current status with jobmon-db show or from jobmon.task_instance before retrying.';
    end if;

    -- Walk the task through the cascade in memory, checking every move,
    -- before the task is written (an invalid move also undoes the task
    -- instance's update: the raised error rolls the whole call back).
    foreach next_task_status in array
        jobmon.task_moves_on_entering(new_status, task_row.num_attempts, task_row.max_attempts)
    loop
        continue when next_task_status = task_row.status;
        if not exists (select 1 from jobmon.task_transition r
                        where r.from_status = task_row.status and r.to_status = next_task_status) then
            raise exception 'Cannot transition Task id: % from % to %', task_row.id, task_row.status, next_task_status
                using errcode = 'JM002',
                      detail = format('Asked for by TaskInstance id: %s moving from %s to %s. Valid task transitions from %s: %s.',
                                      ti_id, ti_status, new_status, task_row.status,
                                      coalesce((select string_agg(r.to_status, ', ' order by r.to_status)
                                                  from jobmon.task_transition r
                                                 where r.from_status = task_row.status), 'none')),
                      hint = 'Nothing was changed: the task instance keeps its status. The task was probably moved on by another run (for example reset by a workflow resume).';
        end if;
        if next_task_status = 'Q' then
            task_row.num_attempts := task_row.num_attempts + 1;
        end if;
        task_row.status := next_task_status;
    end loop;

    if task_row.status is distinct from result.task_previous_status then
        update jobmon.task t
           set status = task_row.status, num_attempts = task_row.num_attempts, status_date = now()
         where t.id = task_row.id;
    end if;

    result.outcome := 'applied';
    result.status := new_status;
    result.task_status := task_row.status;
    result.task_num_attempts := task_row.num_attempts;
    return result;
end;
$$;

--
-- Name: FUNCTION transition_task_instance(task_instance_id bigint, new_status text); Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON FUNCTION jobmon.transition_task_instance(task_instance_id bigint, new_status text) IS 'Moves a task instance to new_status (a one-character code) and cascades to its task, under row locks (task, then task instance). Returns one row: outcome ''applied'' or ''untimely'' (ignored race), statuses before and after. Raises JM001 invalid transition, JM002 invalid task move in the cascade, JM003 not found, 22004 NULL argument, 22023 unknown status. See docs/sql-api.md.';

--
-- Name: array; Type: TABLE; Schema: jobmon; Owner: -
--

CREATE TABLE jobmon."array" (
    id bigint NOT NULL,
    workflow_id bigint NOT NULL,
    name text
);

--
-- Name: TABLE "array"; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TABLE jobmon."array" IS 'A group of tasks submitted as one cluster array job (minimal).';

--
-- Name: array_id_seq; Type: SEQUENCE; Schema: jobmon; Owner: -
--

ALTER TABLE jobmon."array" ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME jobmon.array_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: repeatable_sql; Type: TABLE; Schema: jobmon; Owner: -
--

CREATE TABLE jobmon.repeatable_sql (
    file text NOT NULL,
    sha256 text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);

--
-- Name: TABLE repeatable_sql; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TABLE jobmon.repeatable_sql IS 'Checksum of each sql/ file as last applied by the post-apply step; a file is re-applied only when it changed.';

--
-- Name: task; Type: TABLE; Schema: jobmon; Owner: -
--

CREATE TABLE jobmon.task (
    id bigint NOT NULL,
    workflow_id bigint NOT NULL,
    node_id bigint,
    task_args_hash text,
    array_id bigint,
    name text,
    command text,
    task_resources_id bigint,
    num_attempts integer DEFAULT 0 NOT NULL,
    max_attempts integer DEFAULT 1 NOT NULL,
    resource_scales text,
    fallback_queues text,
    status text DEFAULT 'G'::text NOT NULL,
    status_date timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT task_max_attempts_check CHECK ((max_attempts >= 0)),
    CONSTRAINT task_num_attempts_check CHECK ((num_attempts >= 0))
);

--
-- Name: TABLE task; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TABLE jobmon.task IS 'A task of a workflow. Its status follows the task state machine (jobmon.task_transition) and is moved by the cascade of jobmon.transition_task_instance().';

--
-- Name: COLUMN task.num_attempts; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.task.num_attempts IS 'Attempts counted so far: one each time the task enters Q.';

--
-- Name: COLUMN task.max_attempts; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.task.max_attempts IS 'When num_attempts >= max_attempts, an error of a task instance fails the task (F).';

--
-- Name: COLUMN task.status_date; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.task.status_date IS 'When status last changed (or num_attempts).';

--
-- Name: task_id_seq; Type: SEQUENCE; Schema: jobmon; Owner: -
--

ALTER TABLE jobmon.task ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME jobmon.task_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: task_instance; Type: TABLE; Schema: jobmon; Owner: -
--

CREATE TABLE jobmon.task_instance (
    id bigint NOT NULL,
    workflow_run_id bigint,
    array_id bigint,
    task_id bigint NOT NULL,
    distributor_id character varying(20),
    task_resources_id bigint,
    array_batch_num integer,
    array_step_id integer,
    nodename character varying(150),
    process_group_id integer,
    usage_str character varying(250),
    wallclock character varying(50),
    maxrss character varying(50),
    maxpss character varying(50),
    cpu character varying(50),
    io character varying(50),
    stdout character varying(2048),
    stderr character varying(2048),
    stdout_log text,
    stderr_log text,
    status text DEFAULT 'Q'::text NOT NULL,
    submitted_date timestamp with time zone,
    status_date timestamp with time zone DEFAULT now() NOT NULL,
    report_by_date timestamp with time zone
);

--
-- Name: TABLE task_instance; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TABLE jobmon.task_instance IS 'One attempt to run a task. Starts in Q; move it only with jobmon.transition_task_instance().';

--
-- Name: COLUMN task_instance.status; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.task_instance.status IS 'Current status (jobmon.task_instance_status).';

--
-- Name: COLUMN task_instance.status_date; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.task_instance.status_date IS 'When status last changed.';

--
-- Name: task_instance_error_log; Type: TABLE; Schema: jobmon; Owner: -
--

CREATE TABLE jobmon.task_instance_error_log (
    id bigint NOT NULL,
    task_instance_id bigint NOT NULL,
    error_time timestamp with time zone DEFAULT now() NOT NULL,
    description text
);

--
-- Name: TABLE task_instance_error_log; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TABLE jobmon.task_instance_error_log IS 'One row per error report of a task instance.';

--
-- Name: task_instance_error_log_id_seq; Type: SEQUENCE; Schema: jobmon; Owner: -
--

ALTER TABLE jobmon.task_instance_error_log ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME jobmon.task_instance_error_log_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: task_instance_id_seq; Type: SEQUENCE; Schema: jobmon; Owner: -
--

ALTER TABLE jobmon.task_instance ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME jobmon.task_instance_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: task_instance_status; Type: TABLE; Schema: jobmon; Owner: -
--

CREATE TABLE jobmon.task_instance_status (
    id text NOT NULL,
    label text NOT NULL,
    description text NOT NULL,
    CONSTRAINT task_instance_status_id_check CHECK ((id ~ '^[A-Z]$'::text))
);

--
-- Name: TABLE task_instance_status; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TABLE jobmon.task_instance_status IS 'The 13 task-instance statuses: one-character code, label and meaning.';

--
-- Name: task_instance_transition; Type: TABLE; Schema: jobmon; Owner: -
--

CREATE TABLE jobmon.task_instance_transition (
    from_status text NOT NULL,
    to_status text NOT NULL,
    kind text NOT NULL,
    reason text NOT NULL,
    CONSTRAINT task_instance_transition_kind_check CHECK ((kind = ANY (ARRAY['valid'::text, 'untimely'::text])))
);

--
-- Name: TABLE task_instance_transition; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TABLE jobmon.task_instance_transition IS 'Task-instance transition rules. kind = valid: the move is applied and cascades to the task. kind = untimely: a known race between the distributor, the worker node and the reconciler; the request is ignored and is not an error. Any pair not listed is invalid (SQLSTATE JM001).';

--
-- Name: COLUMN task_instance_transition.kind; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.task_instance_transition.kind IS '''valid'' (applied) or ''untimely'' (ignored: a late report that lost a race).';

--
-- Name: COLUMN task_instance_transition.reason; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON COLUMN jobmon.task_instance_transition.reason IS 'Why the pair exists, from the reference model.';

--
-- Name: task_resources; Type: TABLE; Schema: jobmon; Owner: -
--

CREATE TABLE jobmon.task_resources (
    id bigint NOT NULL,
    requested_resources text
);

--
-- Name: TABLE task_resources; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TABLE jobmon.task_resources IS 'Resources requested for a task (minimal: the foreign keys need it).';

--
-- Name: task_resources_id_seq; Type: SEQUENCE; Schema: jobmon; Owner: -
--

ALTER TABLE jobmon.task_resources ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME jobmon.task_resources_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: task_status; Type: TABLE; Schema: jobmon; Owner: -
--

CREATE TABLE jobmon.task_status (
    id text NOT NULL,
    label text NOT NULL,
    description text NOT NULL,
    CONSTRAINT task_status_id_check CHECK ((id ~ '^[A-Z]$'::text))
);

--
-- Name: TABLE task_status; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TABLE jobmon.task_status IS 'The 9 task statuses: one-character code, label and meaning.';

--
-- Name: task_transition; Type: TABLE; Schema: jobmon; Owner: -
--

CREATE TABLE jobmon.task_transition (
    from_status text NOT NULL,
    to_status text NOT NULL,
    reason text NOT NULL
);

--
-- Name: TABLE task_transition; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TABLE jobmon.task_transition IS 'Valid task transitions. A move to the status the task already has does nothing; any other pair not listed is invalid (SQLSTATE JM002 during a task-instance cascade). Entering Q counts one attempt.';

--
-- Name: workflow; Type: TABLE; Schema: jobmon; Owner: -
--

CREATE TABLE jobmon.workflow (
    id bigint NOT NULL,
    name text
);

--
-- Name: TABLE workflow; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TABLE jobmon.workflow IS 'A Jobmon workflow (minimal: the foreign keys need it).';

--
-- Name: workflow_id_seq; Type: SEQUENCE; Schema: jobmon; Owner: -
--

ALTER TABLE jobmon.workflow ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME jobmon.workflow_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: workflow_run; Type: TABLE; Schema: jobmon; Owner: -
--

CREATE TABLE jobmon.workflow_run (
    id bigint NOT NULL,
    workflow_id bigint NOT NULL
);

--
-- Name: TABLE workflow_run; Type: COMMENT; Schema: jobmon; Owner: -
--

COMMENT ON TABLE jobmon.workflow_run IS 'One run of a workflow (minimal: the foreign keys need it).';

--
-- Name: workflow_run_id_seq; Type: SEQUENCE; Schema: jobmon; Owner: -
--

ALTER TABLE jobmon.workflow_run ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME jobmon.workflow_run_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: array array_pkey; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon."array"
    ADD CONSTRAINT array_pkey PRIMARY KEY (id);

--
-- Name: repeatable_sql repeatable_sql_pkey; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.repeatable_sql
    ADD CONSTRAINT repeatable_sql_pkey PRIMARY KEY (file);

--
-- Name: task_instance_error_log task_instance_error_log_pkey; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_instance_error_log
    ADD CONSTRAINT task_instance_error_log_pkey PRIMARY KEY (id);

--
-- Name: task_instance task_instance_pkey; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_instance
    ADD CONSTRAINT task_instance_pkey PRIMARY KEY (id);

--
-- Name: task_instance_status task_instance_status_label_key; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_instance_status
    ADD CONSTRAINT task_instance_status_label_key UNIQUE (label);

--
-- Name: task_instance_status task_instance_status_pkey; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_instance_status
    ADD CONSTRAINT task_instance_status_pkey PRIMARY KEY (id);

--
-- Name: task_instance_transition task_instance_transition_pkey; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_instance_transition
    ADD CONSTRAINT task_instance_transition_pkey PRIMARY KEY (from_status, to_status);

--
-- Name: task task_pkey; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task
    ADD CONSTRAINT task_pkey PRIMARY KEY (id);

--
-- Name: task_resources task_resources_pkey; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_resources
    ADD CONSTRAINT task_resources_pkey PRIMARY KEY (id);

--
-- Name: task_status task_status_label_key; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_status
    ADD CONSTRAINT task_status_label_key UNIQUE (label);

--
-- Name: task_status task_status_pkey; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_status
    ADD CONSTRAINT task_status_pkey PRIMARY KEY (id);

--
-- Name: task_transition task_transition_pkey; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_transition
    ADD CONSTRAINT task_transition_pkey PRIMARY KEY (from_status, to_status);

--
-- Name: workflow workflow_pkey; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.workflow
    ADD CONSTRAINT workflow_pkey PRIMARY KEY (id);

--
-- Name: workflow_run workflow_run_pkey; Type: CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.workflow_run
    ADD CONSTRAINT workflow_run_pkey PRIMARY KEY (id);

--
-- Name: ix_array_batch_index; Type: INDEX; Schema: jobmon; Owner: -
--

CREATE INDEX ix_array_batch_index ON jobmon.task_instance USING btree (array_id, array_batch_num, array_step_id);

--
-- Name: ix_status_status_date; Type: INDEX; Schema: jobmon; Owner: -
--

CREATE INDEX ix_status_status_date ON jobmon.task_instance USING btree (status, status_date);

--
-- Name: ix_task_instance_distributor_id; Type: INDEX; Schema: jobmon; Owner: -
--

CREATE INDEX ix_task_instance_distributor_id ON jobmon.task_instance USING btree (distributor_id);

--
-- Name: ix_task_instance_error_log_task_instance_id; Type: INDEX; Schema: jobmon; Owner: -
--

CREATE INDEX ix_task_instance_error_log_task_instance_id ON jobmon.task_instance_error_log USING btree (task_instance_id);

--
-- Name: ix_task_instance_task_id; Type: INDEX; Schema: jobmon; Owner: -
--

CREATE INDEX ix_task_instance_task_id ON jobmon.task_instance USING btree (task_id);

--
-- Name: ix_task_instance_task_resources_id; Type: INDEX; Schema: jobmon; Owner: -
--

CREATE INDEX ix_task_instance_task_resources_id ON jobmon.task_instance USING btree (task_resources_id);

--
-- Name: ix_task_workflow_id_status_date; Type: INDEX; Schema: jobmon; Owner: -
--

CREATE INDEX ix_task_workflow_id_status_date ON jobmon.task USING btree (workflow_id, status_date);

--
-- Name: array array_workflow_id_fkey; Type: FK CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon."array"
    ADD CONSTRAINT array_workflow_id_fkey FOREIGN KEY (workflow_id) REFERENCES jobmon.workflow(id);

--
-- Name: task task_array_id_fkey; Type: FK CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task
    ADD CONSTRAINT task_array_id_fkey FOREIGN KEY (array_id) REFERENCES jobmon."array"(id);

--
-- Name: task_instance task_instance_array_id_fkey; Type: FK CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_instance
    ADD CONSTRAINT task_instance_array_id_fkey FOREIGN KEY (array_id) REFERENCES jobmon."array"(id);

--
-- Name: task_instance_error_log task_instance_error_log_task_instance_id_fkey; Type: FK CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_instance_error_log
    ADD CONSTRAINT task_instance_error_log_task_instance_id_fkey FOREIGN KEY (task_instance_id) REFERENCES jobmon.task_instance(id);

--
-- Name: task_instance task_instance_status_fkey; Type: FK CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_instance
    ADD CONSTRAINT task_instance_status_fkey FOREIGN KEY (status) REFERENCES jobmon.task_instance_status(id);

--
-- Name: task_instance task_instance_task_id_fkey; Type: FK CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_instance
    ADD CONSTRAINT task_instance_task_id_fkey FOREIGN KEY (task_id) REFERENCES jobmon.task(id);

--
-- Name: task_instance task_instance_task_resources_id_fkey; Type: FK CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_instance
    ADD CONSTRAINT task_instance_task_resources_id_fkey FOREIGN KEY (task_resources_id) REFERENCES jobmon.task_resources(id);

--
-- Name: task_instance_transition task_instance_transition_from_status_fkey; Type: FK CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_instance_transition
    ADD CONSTRAINT task_instance_transition_from_status_fkey FOREIGN KEY (from_status) REFERENCES jobmon.task_instance_status(id);

--
-- Name: task_instance_transition task_instance_transition_to_status_fkey; Type: FK CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_instance_transition
    ADD CONSTRAINT task_instance_transition_to_status_fkey FOREIGN KEY (to_status) REFERENCES jobmon.task_instance_status(id);

--
-- Name: task_instance task_instance_workflow_run_id_fkey; Type: FK CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_instance
    ADD CONSTRAINT task_instance_workflow_run_id_fkey FOREIGN KEY (workflow_run_id) REFERENCES jobmon.workflow_run(id);

--
-- Name: task task_status_fkey; Type: FK CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task
    ADD CONSTRAINT task_status_fkey FOREIGN KEY (status) REFERENCES jobmon.task_status(id);

--
-- Name: task task_task_resources_id_fkey; Type: FK CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task
    ADD CONSTRAINT task_task_resources_id_fkey FOREIGN KEY (task_resources_id) REFERENCES jobmon.task_resources(id);

--
-- Name: task_transition task_transition_from_status_fkey; Type: FK CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_transition
    ADD CONSTRAINT task_transition_from_status_fkey FOREIGN KEY (from_status) REFERENCES jobmon.task_status(id);

--
-- Name: task_transition task_transition_to_status_fkey; Type: FK CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task_transition
    ADD CONSTRAINT task_transition_to_status_fkey FOREIGN KEY (to_status) REFERENCES jobmon.task_status(id);

--
-- Name: task task_workflow_id_fkey; Type: FK CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.task
    ADD CONSTRAINT task_workflow_id_fkey FOREIGN KEY (workflow_id) REFERENCES jobmon.workflow(id);

--
-- Name: workflow_run workflow_run_workflow_id_fkey; Type: FK CONSTRAINT; Schema: jobmon; Owner: -
--

ALTER TABLE ONLY jobmon.workflow_run
    ADD CONSTRAINT workflow_run_workflow_id_fkey FOREIGN KEY (workflow_id) REFERENCES jobmon.workflow(id);

--
-- PostgreSQL database dump complete
--
