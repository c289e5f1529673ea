-- What the migration derives from the lookup tables: the CHECKs on the status
-- columns, the precomputed move lookup jobmon.task_instance_move and its
-- constant form jobmon._task_instance_move_rule(). All are refreshed at the
-- end of this file and whenever a lookup table changes (statement triggers),
-- so the lookup tables stay the one place the statuses and the rules are
-- written. Applied repeatably by the post-apply step.

-- ---------------------------------------------------------------------------
-- jobmon._task_instance_moves_from_rules() returns setof jobmon.task_instance_move
--
-- Walks the cascade (jobmon.task_moves_on_entering) for every valid and
-- untimely task-instance pair, every task status and attempts left or not,
-- checking each task move against the 'cascade' rows of jobmon.task_transition
-- exactly as the reference model's Task.transition() does: a move to the
-- status the task already has does nothing, entering Q counts an attempt, any
-- other pair not listed refuses the whole move. Reads the rule tables; locks
-- nothing.
-- ---------------------------------------------------------------------------
create or replace function jobmon._task_instance_moves_from_rules()
returns setof jobmon.task_instance_move
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
    rule      record;
    move      jobmon.task_instance_move;
    next_task text;
begin
    for rule in
        select r.from_status, r.to_status, r.kind, s.id as task_status, left_ as attempts_left
          from jobmon.task_instance_transition r
         cross join jobmon.task_status s
         cross join (values (true), (false)) a(left_)
    loop
        move := row(rule.from_status, rule.to_status, rule.task_status, rule.attempts_left, rule.kind,
                    rule.task_status, false, array[]::text[], null, null);
        if rule.kind = 'valid' then
            foreach next_task in array jobmon.task_moves_on_entering(
                rule.to_status, case when rule.attempts_left then 0 else 1 end, 1)
            loop
                continue when next_task = move.task_to_status;
                if not exists (select 1 from jobmon.task_transition t
                                where t.kind = 'cascade'
                                  and t.from_status = move.task_to_status and t.to_status = next_task) then
                    move.refused_task_from := move.task_to_status;
                    move.refused_task_to := next_task;
                    move.task_to_status := null;
                    move.adds_attempt := false;
                    move.task_path := array[]::text[];
                    exit;
                end if;
                move.adds_attempt := move.adds_attempt or next_task = 'Q';
                move.task_to_status := next_task;
                move.task_path := move.task_path || next_task;
            end loop;
        end if;
        return next move;
    end loop;
end;
$$;
comment on function jobmon._task_instance_moves_from_rules() is
    'Internal. The rows jobmon.task_instance_move must hold, derived from the rule tables and the cascade.';

-- ---------------------------------------------------------------------------
-- jobmon._status_check(lookup regclass) returns text
--
-- The CHECK expression a status column must have: the codes of its lookup
-- table, written as one array constant ('{D,E,...}'::text[]), in the form
-- pg_get_constraintdef() prints it. Reads the lookup table; locks nothing.
--
-- Why one constant: every UPDATE of the table reads its CHECKs again from
-- their stored form and simplifies them before the first row. ARRAY['D',
-- 'E', ...] is stored as one node per code and folded into an array on every
-- statement: it cost about 34,000 executed instructions per UPDATE, and a
-- move makes two (the whole cascade floor costs about 660,000; measured,
-- docs/performance.md). The constant costs next to nothing.
-- ---------------------------------------------------------------------------
create or replace function jobmon._status_check(lookup regclass)
returns text
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
    codes text;
begin
    execute format('select coalesce(array_agg(id order by id), ''{}'')::text from %s', lookup) into codes;
    return format('CHECK ((status = ANY (%L::text[])))', codes);
end;
$$;
comment on function jobmon._status_check(regclass) is
    'Internal. The CHECK a status column must carry: status is one of the codes of the given lookup table.';

-- ---------------------------------------------------------------------------
-- jobmon._task_instance_move_rule(from_status text, to_status text,
--   task_status text, attempts_left boolean) returns text
--
-- jobmon.task_instance_move for one move, as a constant: NULL for an invalid
-- pair, 'untimely', 'refused' (a valid pair whose cascade the task refuses),
-- else the status the task has after the move, followed by '+' when the move
-- counts an attempt ('G', 'Q+'). Pure; locks nothing.
--
-- Generated from jobmon.task_instance_move by jobmon._refresh_derived_rules()
-- (the body below is only a placeholder until then): never written by hand.
-- Why a constant: the single-row move reads its rule in the statement that
-- locks the task, and the planner folds this function's constant into that
-- statement's plan, which costs less than joining the table (about 15 µs of
-- a call of about 200 µs server time, measured with pgbench).
-- It has no SET clause on purpose: a function with one is never inlined. It
-- resolves no name at run time (types and operators are schema-qualified),
-- so the caller's search_path cannot change what it does.
-- ---------------------------------------------------------------------------
create or replace function jobmon._task_instance_move_rule(
    from_status text, to_status text, task_status text, attempts_left boolean)
returns text
language sql
immutable
parallel safe
as $$ select null::pg_catalog.text $$;
comment on function jobmon._task_instance_move_rule(text, text, text, boolean) is
    'Internal. The rule of jobmon.task_instance_move for one move, as a constant generated from that table: NULL (invalid pair), ''untimely'', ''refused'', or the task''s status after the move with ''+'' when it counts an attempt.';

-- ---------------------------------------------------------------------------
-- jobmon._task_instance_move_rule_body() returns text
--
-- The body jobmon._task_instance_move_rule() must have: jobmon.task_instance_move
-- as a jsonb constant nested by from_status, to_status, task_status and
-- attempts left ('t' or 'f'), read with one #>> (one operator call and no
-- key to build: cheaper than concatenating a flat key). Reads that table;
-- locks nothing.
-- ---------------------------------------------------------------------------
create or replace function jobmon._task_instance_move_rule_body()
returns text
language plpgsql
stable
set search_path = pg_catalog, pg_temp
as $$
declare
    rules text;
begin
    select coalesce(jsonb_object_agg(by_from.from_status, by_from.moves), '{}')::text
      into rules
      from (select by_to.from_status, jsonb_object_agg(by_to.to_status, by_to.moves) as moves
              from (select by_task.from_status, by_task.to_status, jsonb_object_agg(by_task.task_status, by_task.moves) as moves
                      from (select m.from_status, m.to_status, m.task_status,
                                   jsonb_object_agg(case when m.attempts_left then 't' else 'f' end,
                                                    case when m.kind = 'untimely' then 'untimely'
                                                         when m.task_to_status is null then 'refused'
                                                         else m.task_to_status || case when m.adds_attempt then '+' else '' end
                                                    end) as moves
                              from jobmon.task_instance_move m
                             group by m.from_status, m.to_status, m.task_status) by_task
                     group by by_task.from_status, by_task.to_status) by_to
             group by by_to.from_status) by_from;
    return format($body$ select (%L::pg_catalog.jsonb) operator(pg_catalog.#>>)
   array[from_status, to_status, task_status, case when attempts_left then 't' else 'f' end] $body$, rules);
end;
$$;
comment on function jobmon._task_instance_move_rule_body() is
    'Internal. The generated body of jobmon._task_instance_move_rule(): jobmon.task_instance_move as a jsonb constant.';

-- ---------------------------------------------------------------------------
-- jobmon._refresh_derived_rules() returns void
--
-- Makes the status CHECKs, jobmon.task_instance_move and the body of
-- jobmon._task_instance_move_rule() equal to the lookup tables, writing only
-- what differs (so running it again changes nothing).
-- Replacing a CHECK takes an ACCESS EXCLUSIVE lock on the table and checks
-- every row: a status code still in use cannot be removed. Called at the end
-- of this file and by triggers on the lookup tables; run as the owner.
-- ---------------------------------------------------------------------------
create or replace function jobmon._refresh_derived_rules()
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
    target record;
    wanted text;
begin
    for target in
        select * from (values ('jobmon.task_instance'::regclass, 'jobmon.task_instance_status'::regclass,
                               'task_instance_status_code'),
                              ('jobmon.task'::regclass, 'jobmon.task_status'::regclass, 'task_status_code'))
                      v(tab, lookup, name)
    loop
        wanted := jobmon._status_check(target.lookup);
        if wanted is distinct from (select pg_get_constraintdef(c.oid) from pg_constraint c
                                     where c.conrelid = target.tab and c.conname = target.name) then
            execute format('alter table %s drop constraint if exists %I, add constraint %I %s',
                           target.tab, target.name, target.name, wanted);
        end if;
    end loop;

    if exists (select * from jobmon._task_instance_moves_from_rules()
               except select * from jobmon.task_instance_move)
       or exists (select * from jobmon.task_instance_move
                  except select * from jobmon._task_instance_moves_from_rules()) then
        delete from jobmon.task_instance_move;
        insert into jobmon.task_instance_move select * from jobmon._task_instance_moves_from_rules();
        -- Statistics now, so that the functions' generic plans read it by its key.
        analyze jobmon.task_instance_move;
    end if;

    wanted := jobmon._task_instance_move_rule_body();
    if wanted is distinct from (select p.prosrc from pg_proc p
                                 where p.oid = 'jobmon._task_instance_move_rule(text, text, text, boolean)'::regprocedure) then
        -- Replacing it invalidates the cached plans that inlined the old constant.
        execute format('create or replace function jobmon._task_instance_move_rule('
                       'from_status text, to_status text, task_status text, attempts_left boolean)'
                       ' returns text language sql immutable parallel safe as %L', wanted);
    end if;
end;
$$;
comment on function jobmon._refresh_derived_rules() is
    'Internal. Regenerates the status CHECKs, jobmon.task_instance_move and jobmon._task_instance_move_rule() from the lookup tables when they differ.';

create or replace function jobmon._refresh_derived_rules_trigger()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
    perform jobmon._refresh_derived_rules();
    return null;
end;
$$;
comment on function jobmon._refresh_derived_rules_trigger() is
    'Internal. Statement trigger on the lookup tables: keeps what is derived from them equal to them.';

do $$
declare
    lookup text;
begin
    foreach lookup in array array['task_instance_status', 'task_status', 'task_instance_transition', 'task_transition']
    loop
        execute format('drop trigger if exists refresh_derived_rules on jobmon.%I', lookup);
        execute format('create trigger refresh_derived_rules after insert or update or delete or truncate'
                       ' on jobmon.%I for each statement execute function jobmon._refresh_derived_rules_trigger()',
                       lookup);
    end loop;
end;
$$;

select jobmon._refresh_derived_rules();
