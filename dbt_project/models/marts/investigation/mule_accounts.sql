-- One row per card acting as a mule (int_mule_cards): it received victims' money on a traced path, passed most
-- of it on quickly, case money is a real part of its inflow, and the money went on to another traced card or
-- to ATM cash.
with mules as (
    select * from {{ ref('int_mule_cards') }}
),

cards as (
    select * from {{ ref('dim_card') }}
)

select
    m.card_token,
    c.card_masked,
    c.holder_person_id,
    c.holder_id_token,
    c.bank_code,
    c.account_class,
    m.inflow_amount,
    m.outflow_amount,
    m.cash_out_amount,
    m.pass_through_ratio,
    m.median_dwell_minutes,
    m.inflow_counterparties,
    m.outflow_counterparties,
    m.cases,
    m.case_nos,
    m.traced_case_amount,
    m.min_hop,
    m.case_money_share,
    m.onward_traced_amount,
    {{ token_key_id_column() }}
from mules as m
left join cards as c on m.card_token = c.card_token
