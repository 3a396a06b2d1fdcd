-- Per card: money in, money out (to cards and as cash), counterparties and how fast money passes through.
with edges as (
    select * from {{ ref('int_transfers_graph') }}
),

inflow as (
    select
        to_card_token as card_token,
        sum(amount) as inflow_amount,
        count(*) as inflow_txns,
        count(distinct from_card_token) as inflow_counterparties,
        min(txn_at) as first_in_at,
        max(txn_at) as last_in_at
    from edges
    where to_card_token is not null
    group by to_card_token
),

outflow as (
    select
        from_card_token as card_token,
        sum(amount) as outflow_amount,
        sum(case when is_cash_out then amount else 0 end) as cash_out_amount,
        count(*) as outflow_txns,
        count(distinct to_card_token) as outflow_counterparties,
        min(txn_at) as first_out_at,
        max(txn_at) as last_out_at
    from edges
    group by from_card_token
),

-- how long money stays: for each incoming transfer, the first outgoing transfer at or after it
dwell as (
    select
        i.to_card_token as card_token,
        i.txn_id,
        min(o.txn_at) - i.txn_at as dwell
    from edges as i
    inner join edges as o
        on o.from_card_token = i.to_card_token and o.txn_at >= i.txn_at
    where i.to_card_token is not null
    group by i.to_card_token, i.txn_id, i.txn_at
),

dwell_summary as (
    select
        card_token,
        cast(median(epoch(dwell)) / 60.0 as decimal(18, 1)) as median_dwell_minutes
    from dwell
    group by card_token
)

select
    coalesce(i.card_token, o.card_token) as card_token,
    coalesce(i.inflow_amount, 0) as inflow_amount,
    coalesce(o.outflow_amount, 0) as outflow_amount,
    coalesce(o.cash_out_amount, 0) as cash_out_amount,
    coalesce(i.inflow_txns, 0) as inflow_txns,
    coalesce(o.outflow_txns, 0) as outflow_txns,
    coalesce(i.inflow_counterparties, 0) as inflow_counterparties,
    coalesce(o.outflow_counterparties, 0) as outflow_counterparties,
    i.first_in_at,
    i.last_in_at,
    o.first_out_at,
    o.last_out_at,
    d.median_dwell_minutes,
    coalesce(i.inflow_amount, 0) - coalesce(o.outflow_amount, 0) as balance_change
from inflow as i
full outer join outflow as o
    on i.card_token = o.card_token
left join dwell_summary as d
    on coalesce(i.card_token, o.card_token) = d.card_token
