-- Who holds each bank card (reporting banks), resolved to a person.
with accounts as (
    select * from {{ ref('stg_finance__accounts') }}
),

people as (
    select source_key, person_id, id_token
    from {{ ref('int_identity_resolved') }}
    where source_table = 'finance.accounts'
)

select
    a.card_token,
    a.card_masked,
    a.card_luhn_ok,
    a.bank_code,
    a.account_class,
    a.branch_code,
    a.region_code,
    a.status,
    a.opened_at,
    a.updated_at,
    a.holder_phone_token,
    p.person_id,
    p.id_token,
    a._batch,
    a._line
from accounts as a
left join people as p
    on a.card_token = p.source_key
