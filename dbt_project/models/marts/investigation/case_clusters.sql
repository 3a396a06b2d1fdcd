-- One row per case: its cluster (named by the smallest case_no in it) and what links it to other cases.
with clusters as (
    select * from {{ ref('int_cases_clustered') }}
),

links as (
    select * from {{ ref('int_case_links') }}
),

link_summary as (
    select
        case_no,
        count(distinct linked_case_no) as directly_linked_cases,
        count(distinct case when link_kind = 'first_hop_card' then link_token end) as shared_first_hop_cards,
        count(distinct case when link_kind = 'card_within_two_hops' then link_token end) as shared_cards_two_hops,
        count(distinct case when link_kind = 'fraud_phone' then link_token end) as shared_fraud_phones,
        count(distinct case when link_kind = 'handset' then link_token end) as shared_handsets,
        count(distinct case when link_kind = 'chat_account' then link_token end) as shared_chat_accounts,
        string_agg(distinct link_kind, ',' order by link_kind) as link_kinds
    from links
    group by case_no
)

select
    c.case_no,
    c.cluster_id,
    c.cluster_size,
    coalesce(l.directly_linked_cases, 0) as directly_linked_cases,
    coalesce(l.shared_first_hop_cards, 0) as shared_first_hop_cards,
    coalesce(l.shared_cards_two_hops, 0) as shared_cards_two_hops,
    coalesce(l.shared_fraud_phones, 0) as shared_fraud_phones,
    coalesce(l.shared_handsets, 0) as shared_handsets,
    coalesce(l.shared_chat_accounts, 0) as shared_chat_accounts,
    coalesce(l.link_kinds, '') as link_kinds,
    {{ token_key_id_column() }}
from clusters as c
left join link_summary as l on c.case_no = l.case_no
