-- Undoes 0010_change_feed_cluster.sql: the feed and its trigger function as
-- they were before it (transaction ids of this cluster only), then the column.
create or replace function jobmon._track_task_status_xid()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
    new.status_xid := pg_catalog.pg_current_xact_id();
    return new;
end;
$$;
comment on function jobmon._track_task_status_xid() is
    'Internal. Row trigger on jobmon.task: records the transaction that changed status in status_xid, for jobmon.task_status_changes().';

create or replace function jobmon.task_status_changes(workflow_id bigint, after bigint)
returns table (task_id bigint, status text, cursor bigint)
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
set jobmon.route = 'task_status_changes'
as $$
declare
    wf_id   constant bigint := task_status_changes.workflow_id;
    horizon xid8;
begin
    perform jobmon._require_workflow(wf_id);
    if after is null then
        raise exception 'after must not be NULL'
            using errcode = '22004', hint = 'Pass 0 for every task, then the largest cursor the previous call returned.';
    end if;
    horizon := pg_snapshot_xmin(pg_current_snapshot());
    if after < 0 or after > horizon::text::bigint then
        raise exception 'after is not a cursor of task_status_changes(): %', after
            using errcode = '22023',
                  hint = 'Pass 0 for every task, then the largest cursor the previous call returned (not a time or a row id).';
    end if;
    return query
    select t.id, t.status, horizon::text::bigint
      from jobmon.task t
     where t.workflow_id = wf_id
       and t.status_xid >= after::text::xid8
       and t.status_xid < horizon
     order by t.status_xid, t.id;
end;
$$;
alter table jobmon.task drop column status_cluster;
