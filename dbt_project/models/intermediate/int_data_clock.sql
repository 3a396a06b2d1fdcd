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
),

clock as (
    select max(event_at) as as_of
    from event_times
)

select
    as_of,
    cast(as_of as date) as as_of_date,
    {{ month_of('as_of') }} as as_of_month
from clock
