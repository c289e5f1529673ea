-- Who may do what: the owner role owns every object of the schema (the
-- functions run with its rights), the other roles of jobmon.deployment_role
-- get exactly the privileges listed here, and PUBLIC gets nothing.
-- Applied repeatably by the post-apply step, which then calls
-- jobmon._secure_schema() on every migrate.

-- ---------------------------------------------------------------------------
-- jobmon._privileges() returns table (object_kind, object_name, column_name, actor, privilege)
--
-- The one list of grants. object_kind 'function' names every overload of a
-- function; column_name NULL means the whole table. Functions and tables
-- not listed are the owner's alone. Pure.
-- ---------------------------------------------------------------------------
create or replace function jobmon._privileges()
returns table (object_kind text, object_name text, column_name text, actor text, privilege text)
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
    -- Functions, by the actor that calls them. app may call every one; an
    -- actor role gets its routes and reads only (the generic move,
    -- transition_task_instance, is app's alone: with it any valid move of any
    -- instance could be made).
    select 'function', f.name, null, a.actor, 'EXECUTE'
      from (values
        ('transition_task_instance',   array[]::text[]),
        -- the worker node
        ('log_running',                array['worker_node']),
        ('log_heartbeat',              array['worker_node']),
        ('log_done',                   array['worker_node']),
        ('log_error',                  array['worker_node', 'distributor']),
        ('worker_node_task_instance',  array['worker_node', 'readonly']),
        ('array_task_instance',        array['worker_node', 'readonly']),
        -- the distributor (and its reconciler)
        ('distributor_task_instances', array['distributor', 'readonly']),
        ('instantiate_task_instances', array['distributor']),
        ('launch_array_batch',         array['distributor']),
        ('log_distributor_id',         array['distributor']),
        ('log_no_distributor_id',      array['distributor']),
        ('log_array_distributor_ids',  array['distributor']),
        ('log_heartbeats',             array['distributor']),
        ('log_unknown_error',          array['distributor']),
        ('kill_task_instances',        array['distributor']),
        -- the swarm
        ('queue_task_batch',           array['swarm']),
        ('triage_overdue',             array['swarm']),
        ('terminate_workflow_run',     array['swarm']),
        ('reset_tasks_for_resume',     array['swarm']),
        ('task_status_changes',        array['swarm', 'readonly']),
        -- the server's task binding
        ('bind_tasks',                 array[]::text[]),
        -- reading the history
        ('task_instance_history',      array['readonly']),
        ('history_enabled',            array['readonly']),
        -- `jobmon-db status`
        ('derived_rules_drift',        array['readonly']),
        -- the helpers that read the rules (docs/sql-api.md, "Helper functions")
        ('task_moves_on_entering',     array['readonly']),
        ('require_task_instance_status', array['readonly']),
        ('describe_statuses',          array['readonly']),
        ('describe_task_instance_transitions_from', array['readonly'])
      ) f(name, actors)
     cross join lateral unnest(f.actors || array['app']) a(actor)
    union all
    -- Every table can be read by app and readonly.
    select 'table', c.relname, null, r.actor, 'SELECT'
      from pg_class c cross join (values ('app'), ('readonly')) r(actor)
     where c.relnamespace = 'jobmon'::regnamespace and c.relkind = 'r'
    union all
    -- app registers workflows and their parent rows ...
    select 'table', t.name, null, 'app', p.privilege
      from (values ('workflow'), ('workflow_run'), ('task_resources')) t(name)
     cross join (values ('INSERT'), ('UPDATE')) p(privilege)
    union all
    -- ... arrays, whose batch counter (next_batch_num) only queue_task_batch writes
    -- (the last three columns are upstream Jobmon's, migration 0007) ...
    select 'table', 'array', c.name, 'app', p.privilege
      from (values ('workflow_id'), ('name'), ('task_template_version_id'), ('max_concurrently_running'),
                   ('created_date')) c(name)
     cross join (values ('INSERT'), ('UPDATE')) p(privilege)
    union all
    -- ... and tasks, which start in G with no attempts (status, status_date,
    -- num_attempts and current_attempt_from keep their defaults).
    select 'table', 'task', c.name, 'app', 'INSERT'
      from (values ('workflow_id'), ('node_id'), ('task_args_hash'), ('array_id'), ('name'), ('command'),
                   ('task_resources_id'), ('max_attempts'), ('resource_scales'), ('fallback_queues')) c(name)
$$;
comment on function jobmon._privileges() is
    'Internal. The grants of the schema by actor (jobmon.deployment_role); anything not listed is the owner''s alone.';

-- ---------------------------------------------------------------------------
-- jobmon._secure_schema() returns void
--
-- Gives the schema and everything in it to the owner role, and makes the
-- privileges of every function and table equal to jobmon._privileges():
-- nothing for PUBLIC, USAGE on the schema for every role. Changes only what
-- differs, so a migrate that changed nothing writes nothing. Run by the
-- migrating role (a superuser or a member of the owner role) after every
-- migrate.
-- ---------------------------------------------------------------------------
create or replace function jobmon._secure_schema()
returns void
language plpgsql
volatile
set search_path = pg_catalog, pg_temp
as $$
declare
    owner_role name := (select r.role_name from jobmon.deployment_role r where r.actor = 'owner');
    all_roles  text := (select string_agg(quote_ident(r.role_name), ', ' order by r.actor)
                          from jobmon.deployment_role r where r.actor <> 'owner');
    object     record;
    grant_sql  text;
begin
    if (select n.nspowner::regrole::name from pg_namespace n where n.nspname = 'jobmon') <> owner_role then
        execute format('alter schema jobmon owner to %I', owner_role);
    end if;
    for object in
        select format('%s %s', case c.relkind when 'S' then 'sequence' when 'v' then 'view' else 'table' end,
                      c.oid::regclass) as name
          from pg_class c
         where c.relnamespace = 'jobmon'::regnamespace and c.relkind in ('r', 'p', 'v', 'S')
           and c.relowner::regrole::name <> owner_role
           and not exists (select 1 from pg_depend d  -- identity sequences follow their table
                            where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype in ('a', 'i'))
        union all
        select format('function %s', p.oid::regprocedure) from pg_proc p
         where p.pronamespace = 'jobmon'::regnamespace and p.proowner::regrole::name <> owner_role
        union all
        select format('type %s', t.oid::regtype) from pg_type t
         where t.typnamespace = 'jobmon'::regnamespace and t.typowner::regrole::name <> owner_role
           and (t.typtype in ('d', 'e') or (t.typtype = 'c' and
                (select c.relkind from pg_class c where c.oid = t.typrelid) = 'c'))
    loop
        execute format('alter %s owner to %I', object.name, owner_role);
    end loop;

    if exists (select 1 from jobmon.deployment_role r
                where not has_schema_privilege(r.role_name, 'jobmon', 'USAGE')) then
        execute format('grant usage on schema jobmon to %s', all_roles);
    end if;

    -- Functions: compare who may execute each with who should.
    for object in
        select p.oid::regprocedure as fn,
               coalesce((select string_agg(quote_ident(r.role_name), ', ' order by r.role_name)
                           from jobmon._privileges() g
                           join jobmon.deployment_role r on r.actor = g.actor
                          where g.object_kind = 'function' and g.object_name = p.proname), '') as wanted,
               coalesce((select string_agg(quote_ident(coalesce(a.grantee::regrole::name, 'public')), ', '
                                           order by a.grantee::regrole::name)
                           from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                          where a.grantee <> p.proowner), '') as actual
          from pg_proc p
         where p.pronamespace = 'jobmon'::regnamespace
    loop
        continue when object.wanted = object.actual;
        execute format('revoke all on function %s from public, %s', object.fn, all_roles);
        if object.wanted <> '' then
            execute format('grant execute on function %s to %s', object.fn, object.wanted);
        end if;
    end loop;

    -- Tables: compare table and column privileges with the list.
    for object in
        select c.oid::regclass as tab, c.relname,
               coalesce((select string_agg(x, ',' order by x) from (
                   select format('%s %s %s', r.role_name, g.privilege, coalesce(g.column_name, '')) as x
                           from jobmon._privileges() g
                           join jobmon.deployment_role r on r.actor = g.actor
                    where g.object_kind = 'table' and g.object_name = c.relname) s), '') as wanted,
               coalesce((select string_agg(x, ',' order by x) from (
                   select format('%s %s ', a.grantee::regrole::name, a.privilege_type) as x
                     from aclexplode(c.relacl) a where a.grantee <> c.relowner
                   union all
                   select format('%s %s %s', a.grantee::regrole::name, a.privilege_type, att.attname)
                     from pg_attribute att cross join lateral aclexplode(att.attacl) a
                    where att.attrelid = c.oid and att.attacl is not null) s), '') as actual
          from pg_class c
         where c.relnamespace = 'jobmon'::regnamespace and c.relkind = 'r'
    loop
        continue when object.wanted = object.actual;
        execute format('revoke all on table %s from public, %s', object.tab, all_roles);
        for grant_sql in
            select format('grant %s%s on table %s to %I', g.privilege,
                          coalesce(' (' || quote_ident(g.column_name) || ')', ''), object.tab, r.role_name)
              from jobmon._privileges() g
              join jobmon.deployment_role r on r.actor = g.actor
             where g.object_kind = 'table' and g.object_name = object.relname
        loop
            execute grant_sql;
        end loop;
    end loop;
end;
$$;
comment on function jobmon._secure_schema() is
    'Internal. Gives every object of the schema to the owner role and applies the grants of jobmon._privileges(), changing only what differs. Run by migrate.';
