-- Every fraud-side identifier a case names: reported contacts, the cards victims paid into, and the phone
-- numbers, cards and chat accounts written in the narrative (full-width digits, spaces, hyphens, +86 handled).
with cases as (
    select case_no, narrative from {{ ref('stg_police__cases') }}
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
        to_card_token,
        to_card_masked,
        'case_transfers',
        _batch,
        _line
    from {{ ref('stg_police__case_transfers') }}
    where to_card_token is not null
),

narrative_text as (
    -- spaces and hyphens removed so that a number written in groups ('1xx-xxxx xxxx') reads as one number
    select
        case_no,
        {{ remove_chars(ascii_text('narrative'), ' -') }} as compact_text,
        lower({{ ascii_text('narrative') }}) as plain_text
    from cases
    where narrative is not null
),

narrative_numbers as (
    select
        case_no,
        unnest(regexp_extract_all(compact_text, '\+?[0-9]{7,19}')) as raw_number
    from narrative_text
),

narrative_chats as (
    select
        case_no,
        unnest(regexp_extract_all(plain_text, 'wxid_[a-z0-9_]+')) as chat_id
    from narrative_text
),

narrative_classified as (
    select
        case_no,
        case
            when length(raw_number) between 16 and 19 and left(raw_number, 1) <> '+' then 'card'
            else 'phone'
        end as identifier_kind,
        raw_number
    from narrative_numbers
),

narrative_ids as (
    select
        case_no,
        identifier_kind,
        identifier_kind as identifier_subkind,
        case
            when identifier_kind = 'card' then {{ token('card', 'raw_number') }}
            else {{ token('phone', normalise_phone('raw_number')) }}
        end as identifier_token,
        case
            when identifier_kind = 'card' then {{ mask_card('raw_number') }}
            else {{ mask_phone(normalise_phone('raw_number')) }}
        end as identifier_masked,
        'narrative' as found_in,
        cast(null as varchar) as _batch,
        cast(null as bigint) as _line
    from narrative_classified
    where identifier_kind = 'card' or length({{ normalise_phone('raw_number') }}) >= 11
    union all
    select
        case_no,
        'chat',
        'wechat',
        {{ token('wechat', 'chat_id') }},
        {{ mask_id('chat_id') }},
        'narrative',
        cast(null as varchar),
        cast(null as bigint)
    from narrative_chats
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
