-- Pairs of cases that share something: a first-hop card, a card reached within two hops, a fraud phone,
-- a handset that carried a fraud phone, or a chat account.
with traced as (
    select case_no, card_token as link_token, hop from {{ ref('int_case_money_traced') }}
),

identifiers as (
    select * from {{ ref('int_case_identifiers_extracted') }}
),

handsets_used as (
    select phone_token, imei_token from {{ ref('int_handsets_used') }}
),

handsets as (
    select distinct
        i.case_no,
        c.imei_token as link_token
    from identifiers as i
    inner join handsets_used as c
        on i.identifier_token = c.phone_token
    where i.identifier_kind = 'phone'
),

shared_things as (
    select case_no, 'first_hop_card' as link_kind, link_token from traced
    where hop = 1
    union
    select case_no, 'card_within_two_hops' as link_kind, link_token from traced
    where hop <= 2
    union
    select case_no, 'fraud_phone' as link_kind, identifier_token as link_token from identifiers
    where identifier_kind = 'phone'
    union
    select case_no, 'chat_account' as link_kind, identifier_token as link_token from identifiers
    where identifier_kind = 'chat'
    union
    select case_no, 'handset' as link_kind, link_token from handsets
)

select
    a.case_no,
    b.case_no as linked_case_no,
    a.link_kind,
    a.link_token
from shared_things as a
inner join shared_things as b
    on a.link_kind = b.link_kind and a.link_token = b.link_token and a.case_no <> b.case_no
