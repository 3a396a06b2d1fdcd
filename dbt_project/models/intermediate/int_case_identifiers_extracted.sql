-- Every fraud-side identifier a case names: reported contacts, the cards victims paid into, and the phone
-- numbers, cards and chat accounts written in the narrative (extracted by stg_police__cases).
with cases as (
    select case_no, narrative_identifiers from {{ ref('stg_police__cases') }}
),

contacts as (
    select
        case_no,
        case
            when contact_type = 'phone' then 'phone'
            when contact_type in ('wechat', 'qq') then 'chat'
            else 'app'
        end as identifier_kind,
        contact_type as identifier_subkind,
        contact_token as identifier_token,
        contact_masked as identifier_masked,
        'case_contacts' as found_in,
        _batch,
        _line
    from {{ ref('stg_police__case_contacts') }}
    where contact_token is not null
),

transfers as (
    select
        case_no,
        'card' as identifier_kind,
        'card' as identifier_subkind,
        to_card_token as identifier_token,
        to_card_masked as identifier_masked,
        'case_transfers' as found_in,
        _batch,
        _line
    from {{ ref('stg_police__case_transfers') }}
    where to_card_token is not null
),

narrative_ids as (
    -- extracted in staging (stg_police__cases.narrative_identifiers): this model never reads the free text
    select
        case_no,
        case when struct_extract(n, 'kind') = 'wechat' then 'chat' else struct_extract(n, 'kind') end
            as identifier_kind,
        struct_extract(n, 'kind') as identifier_subkind,
        struct_extract(n, 'token') as identifier_token,
        struct_extract(n, 'masked') as identifier_masked,
        'narrative' as found_in,
        cast(null as varchar) as _batch,
        cast(null as bigint) as _line
    from (
        select case_no, unnest(narrative_identifiers) as n
        from cases
    )
),

unioned as (
    select * from contacts
    union all
    select * from transfers
    union all
    select * from narrative_ids
)

select
    case_no,
    identifier_kind,
    identifier_subkind,
    identifier_token,
    identifier_masked,
    found_in,
    min(_batch) as _batch,
    min(_line) as _line
from unioned
group by all
