-- Every bank card seen (accounts, transactions, case transfers, stop-payments), with its holder when the
-- issuing bank reports.
with seen as (
    select card_token, card_masked from {{ ref('stg_finance__accounts') }}
    union
    select from_card_token, from_card_masked from {{ ref('stg_finance__transactions') }}
    union
    select to_card_token, to_card_masked from {{ ref('stg_finance__transactions') }}
    union
    select to_card_token, to_card_masked from {{ ref('stg_police__case_transfers') }}
    union
    select from_card_token, from_card_masked from {{ ref('stg_police__case_transfers') }}
    union
    select card_token, card_masked from {{ ref('stg_police__stop_payments') }}
),

cards as (
    select card_token, min(card_masked) as card_masked
    from seen
    where card_token is not null
    group by card_token
),

owners as (
    select * from {{ ref('int_card_ownership') }}
)

select
    c.card_token,
    c.card_masked,
    o.card_token is not null as is_reporting_bank,
    o.bank_code,
    o.account_class,
    o.region_code as opening_region_code,
    o.status as card_status,
    o.opened_at,
    o.person_id as holder_person_id,
    o.id_token as holder_id_token,
    {{ token_key_id_column() }}
from cards as c
left join owners as o on c.card_token = o.card_token
