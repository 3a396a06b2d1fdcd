-- For every open case: the cards its victims' money reached (traced forward hop by hop within the window),
-- with the amount traceable, the latest balance evidence and a rank: what to stop-pay first.
with open_cases as (
    select case_no, unit_code, region_code, reported_at
    from {{ ref('stg_police__cases') }}
    where status = 'registered'
),

traced as (
    select * from {{ ref('int_case_money_traced') }}
),

flows as (
    select * from {{ ref('int_card_flows_aggregated') }}
),

cards as (
    select * from {{ ref('dim_card') }}
),

stops as (
    select
        case_no,
        card_token,
        max(requested_at) as last_stop_requested_at,
        bool_or(status = 'executed') as stop_executed,
        sum(case when status = 'executed' then amount_stopped else 0 end) as amount_stopped
    from {{ ref('stg_police__stop_payments') }}
    group by case_no, card_token
),

candidates as (
    select
        o.case_no,
        o.unit_code,
        o.region_code,
        t.card_token,
        c.card_masked,
        c.is_reporting_bank,
        c.bank_code,
        c.card_status,
        c.holder_id_token,
        t.hop,
        t.traced_amount,
        t.first_arrived_at,
        f.inflow_amount,
        f.outflow_amount,
        f.last_in_at,
        f.last_out_at,
        -- balance evidence: money seen in minus money seen out (a lower bound: opening balances are unknown)
        greatest(coalesce(f.inflow_amount, 0) - coalesce(f.outflow_amount, 0), 0) as balance_evidence,
        coalesce(s.stop_executed, false) as stop_executed,
        coalesce(s.amount_stopped, 0) as amount_stopped,
        s.last_stop_requested_at
    from open_cases as o
    inner join traced as t on o.case_no = t.case_no
    left join cards as c on t.card_token = c.card_token
    left join flows as f on t.card_token = f.card_token
    left join stops as s on o.case_no = s.case_no and t.card_token = s.card_token
)

select
    *,
    -- not reporting → balance unknown: rank by traced amount; frozen or already stopped cards go last
    least(traced_amount, case when is_reporting_bank then balance_evidence else traced_amount end)
        as amount_recoverable_estimate,
    row_number() over (
        partition by case_no
        order by
            (stop_executed or coalesce(card_status, '') = 'frozen'),
            least(traced_amount, case when is_reporting_bank then balance_evidence else traced_amount end) desc,
            hop,
            card_token asc
    ) as priority_rank,
    {{ token_key_id_column() }}
from candidates
