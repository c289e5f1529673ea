-- What the migration derives from the lookup tables: the CHECKs on the status
-- columns and the precomputed move lookup jobmon.task_instance_move. Both are
-- refreshed at the end of this file and whenever a lookup table changes (statement triggers),
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
-- jobmon.derived_rules_drift() returns setof text
--
-- What is derived from the lookup tables and differs from them now: the names
-- of the status CHECKs and 'jobmon.task_instance_move' that
-- jobmon._refresh_derived_rules() would rewrite. Empty when up to date.
-- Called by `jobmon-db status` (granted to readonly and app), in a read-only
-- transaction. Locks nothing; raises nothing. SECURITY DEFINER: it asks the
-- internal functions that derive the rules.
-- ---------------------------------------------------------------------------
create or replace function jobmon.derived_rules_drift()
returns setof text
language sql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
    select format('%s constraint %s', v.tab, v.name)
      from (values ('jobmon.task_instance'::regclass, 'jobmon.task_instance_status'::regclass,
                    'task_instance_status_code'),
                   ('jobmon.task'::regclass, 'jobmon.task_status'::regclass, 'task_status_code')) v(tab, lookup, name)
     where jobmon._status_check(v.lookup) is distinct from
           (select pg_get_constraintdef(c.oid) from pg_constraint c where c.conrelid = v.tab and c.conname = v.name)
    union all
    select 'jobmon.task_instance_move'
     where exists (select * from jobmon._task_instance_moves_from_rules()
                   except select * from jobmon.task_instance_move)
        or exists (select * from jobmon.task_instance_move
                   except select * from jobmon._task_instance_moves_from_rules())
$$;
comment on function jobmon.derived_rules_drift() is
    'What derived from the lookup tables (the status CHECKs, jobmon.task_instance_move) differs from them now; empty when up to date.';

-- ---------------------------------------------------------------------------
-- jobmon._refresh_derived_rules() returns void
--
-- Makes what jobmon.derived_rules_drift() names equal to the lookup tables
-- again, writing only that (so running it again changes nothing).
-- Replacing a CHECK takes an ACCESS EXCLUSIVE lock on the table and checks
-- every row: a status code still in use cannot be removed. Called at the end
-- of this file, by triggers on the lookup tables and by every migrate; run
-- as the owner.
-- ---------------------------------------------------------------------------
create or replace function jobmon._refresh_derived_rules()
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
    target record;
    drift  text[] := array(select jobmon.derived_rules_drift());
begin
    for target in
        select * from (values ('jobmon.task_instance'::regclass, 'jobmon.task_instance_status'::regclass,
                               'task_instance_status_code'),
                              ('jobmon.task'::regclass, 'jobmon.task_status'::regclass, 'task_status_code'))
                      v(tab, lookup, name)
         where format('%s constraint %s', v.tab, v.name) = any(drift)
    loop
        execute format('alter table %s drop constraint if exists %I, add constraint %I %s',
                       target.tab, target.name, target.name, jobmon._status_check(target.lookup));
    end loop;

    if 'jobmon.task_instance_move' = any(drift) then
        delete from jobmon.task_instance_move;
        insert into jobmon.task_instance_move select * from jobmon._task_instance_moves_from_rules();
        -- Statistics now, so that the functions' generic plans read it by its key.
        analyze jobmon.task_instance_move;
    end if;
end;
$$;
comment on function jobmon._refresh_derived_rules() is
    'Internal. Regenerates what jobmon.derived_rules_drift() names (the status CHECKs, jobmon.task_instance_move) from the lookup tables.';

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

select jobmon._ensure_trigger(('jobmon.' || lookup)::regclass, 'refresh_derived_rules',
           format('CREATE TRIGGER refresh_derived_rules AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON jobmon.%s'
                  ' FOR EACH STATEMENT EXECUTE FUNCTION jobmon._refresh_derived_rules_trigger()', lookup))
  from unnest(array['task_instance_status', 'task_status', 'task_instance_transition', 'task_transition']) lookup;

select jobmon._refresh_derived_rules();
