-- What the migration derives from the lookup tables: the CHECKs on the status
-- columns and the precomputed move lookup jobmon.task_instance_move. Both are
-- refreshed at the end of this file and whenever a lookup table changes
-- (statement triggers), so the lookup tables stay the one place the statuses
-- and the rules are written. Applied repeatably by the post-apply step.

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
-- jobmon._status_check(tab regclass, lookup regclass) returns text
--
-- The CHECK expression a status column must have: the codes of its lookup
-- table. Reads the lookup table; locks nothing.
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
    execute format('select string_agg(quote_literal(id), '', '' order by id) from %s', lookup) into codes;
    return format('CHECK ((status = ANY (ARRAY[%s])))', codes);
end;
$$;
comment on function jobmon._status_check(regclass) is
    'Internal. The CHECK a status column must carry: status is one of the codes of the given lookup table.';

-- ---------------------------------------------------------------------------
-- jobmon._refresh_derived_rules() returns void
--
-- Makes the status CHECKs and jobmon.task_instance_move equal to the lookup
-- tables, writing only what differs (so running it again changes nothing).
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
end;
$$;
comment on function jobmon._refresh_derived_rules() is
    'Internal. Regenerates the status CHECKs and jobmon.task_instance_move from the lookup tables when they differ.';

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
