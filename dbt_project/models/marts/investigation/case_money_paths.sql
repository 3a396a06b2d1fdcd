-- The emergency stop-payment path of each case as a tree: one row per arrival of the victims' money on a card,
-- with the card it came from (null at hop 1: the card the victim paid into). `fraudbrain trace` prints it.
with hops as (
    select * from {{ ref('int_case_money_hops') }}
),

cards as (
    select card_token, card_masked, bank_code, card_status from {{ ref('dim_card') }}
)

select
    h.case_no,
    h.hop,
    h.from_card_token,
    h.card_token,
    c.card_masked,
    c.bank_code,
    c.card_status,
    h.arrived_at,
    h.traced_amount,
    h.via_txn_id,
    {{ token_key_id_column() }}
from hops as h
left join cards as c on h.card_token = c.card_token
