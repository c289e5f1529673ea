-- Helpers for the DDL of the other sql/ files. Every sql/ file is applied
-- again on each upgrade while Jobmon may be running, so a file must take no
-- strong table lock when the object it makes is already as it should be.
-- Applied repeatably by the post-apply step, first.

-- ---------------------------------------------------------------------------
-- jobmon._ensure_trigger(on_table regclass, trigger_name name, definition text) returns void
--
-- Makes the trigger `trigger_name` of `on_table` be `definition` (a CREATE
-- TRIGGER statement written as pg_get_triggerdef() prints it), or removes it
-- when `definition` is NULL. Does nothing, and locks nothing, when the
-- trigger already is so; otherwise DROP/CREATE TRIGGER lock the table (ACCESS
-- EXCLUSIVE) until commit. Called by the sql/ files as the migrating role.
-- Raises what CREATE TRIGGER raises.
-- ---------------------------------------------------------------------------
create or replace function jobmon._ensure_trigger(on_table regclass, trigger_name name, definition text)
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
    current text := (select pg_get_triggerdef(t.oid) from pg_trigger t
                      where t.tgrelid = on_table and t.tgname = trigger_name);
begin
    if current is not distinct from definition then
        return;
    end if;
    if current is not null then
        execute format('drop trigger %I on %s', trigger_name, on_table);
    end if;
    if definition is not null then
        execute definition;
    end if;
end;
$$;
comment on function jobmon._ensure_trigger(regclass, name, text) is
    'Internal. Creates, replaces or (definition NULL) drops a trigger only when it differs from the definition given, so re-applying a file takes no table lock.';
