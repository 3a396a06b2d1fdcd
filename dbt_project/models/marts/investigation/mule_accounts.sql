-- One row per card acting as a mule: it received victims' money (on a traced path, any hop) and passed
-- most of it on (pass-through ratio ≥ mule_min_pass_through) quickly (median dwell ≤ mule_max_dwell_minutes).
with traced as (
    select
        card_token,
        count(distinct case_no) as cases,
        string_agg(distinct case_no, ',' order by case_no) as case_nos,
        sum(traced_amount) as traced_case_amount,
        min(hop) as min_hop
    from {{ ref('int_case_money_traced') }}
    group by card_token
),

flows as (
    select * from {{ ref('int_card_flows_aggregated') }}
),

cards as (
    select * from {{ ref('dim_card') }}
),

scored as (
    select
        t.card_token,
        c.card_masked,
        c.holder_person_id,
        c.holder_id_token,
        c.bank_code,
        c.account_class,
        f.inflow_amount,
        f.outflow_amount,
        f.cash_out_amount,
        cast(case when f.inflow_amount > 0 then f.outflow_amount / f.inflow_amount end as decimal(9, 4))
            as pass_through_ratio,
        f.median_dwell_minutes,
        f.inflow_counterparties,
        f.outflow_counterparties,
        t.cases,
        t.case_nos,
        t.traced_case_amount,
        t.min_hop
    from traced as t
    inner join flows as f on t.card_token = f.card_token
    left join cards as c on t.card_token = c.card_token
)

select
    *,
    {{ token_key_id_column() }}
from scored
where
    pass_through_ratio >= {{ var('mule_min_pass_through') }}
    and median_dwell_minutes <= {{ var('mule_max_dwell_minutes') }}
