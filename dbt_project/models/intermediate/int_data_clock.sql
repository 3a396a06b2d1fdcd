-- "Now" of the warehouse: the latest event time in the data, never the wall clock,
-- so a rerun on the same data publishes the same marts.
with event_times as (
    select max(started_at) as event_at from {{ ref('stg_telecom__cdr') }}
    union all
    select max(txn_at) from {{ ref('stg_finance__transactions') }}
    union all
    select max(reported_at) from {{ ref('stg_police__cases') }}
    union all
    select max(issued_at) from {{ ref('stg_police__warnings') }}
    union all
    select max(held_at) from {{ ref('stg_police__prevention_activities') }}
    union all
    select max(issued_at) from {{ ref('stg_police__supervision_tasks') }}
),

clock as (
    -- with no event at all yet (a first police-only run), the epoch: deterministic, and every window empty
    select coalesce(max(event_at), cast('1970-01-01 00:00:00' as timestamp)) as as_of
    from event_times
)

select
    as_of,
    cast(as_of as date) as as_of_date,
    {{ month_of('as_of') }} as as_of_month
from clock
