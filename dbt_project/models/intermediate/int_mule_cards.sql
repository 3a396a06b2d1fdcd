-- Cards acting as mules: victims' money reached them on a traced path (any hop) and they behaved like a
-- pass-through for it (快进快出):
--   * they passed most of what they received on (pass-through ratio >= mule_min_pass_through), quickly
--     (median dwell <= mule_max_dwell_minutes);
--   * traced case money is a real part of what they received (>= mule_min_case_share of the inflow): a shop
--     or cash business paid by hundreds of customers that got one purchase from a mule is not a mule;
--   * the case money went on: to another traced card (a hop of the money path) or out as ATM cash.
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

onward as (
    select
        from_card_token as card_token,
        sum(traced_amount) as onward_traced_amount
    from {{ ref('int_case_money_hops') }}
    where from_card_token is not null
    group by from_card_token
),

flows as (
    select * from {{ ref('int_card_flows_aggregated') }}
),

scored as (
    select
        t.card_token,
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
        t.min_hop,
        cast(case when f.inflow_amount > 0 then least(t.traced_case_amount / f.inflow_amount, 1) end as decimal(9, 4))
            as case_money_share,
        cast(coalesce(o.onward_traced_amount, 0) as decimal(38, 2)) as onward_traced_amount
    from traced as t
    inner join flows as f on t.card_token = f.card_token
    left join onward as o on t.card_token = o.card_token
)

select *
from scored
where
    pass_through_ratio >= {{ var('mule_min_pass_through') }}
    and median_dwell_minutes <= {{ var('mule_max_dwell_minutes') }}
    and case_money_share >= {{ var('mule_min_case_share') }}
    and (onward_traced_amount > 0 or cash_out_amount > 0)
