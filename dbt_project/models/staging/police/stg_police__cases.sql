with source as (
    select
        *,
        {{ to_local_naive_ts('updated_at') }} as updated_ts
    from {{ source('police', 'cases') }}
),

latest as (
    {{ latest_version('source', 'trim(case_no)', police_version_order()) }}
),

-- The phones, cards and WeChat ids written in the narrative (full-width digits, spaces, hyphens, +86 handled):
-- extracted here so that no later model reads the free text. A purged narrative (flows/privacy/purge.py) carries
-- exactly these (kind, token, mask; flows.privacy.pii.purged_narrative, the Python twin of this extraction).
narrative_text as (
    -- spaces and hyphens removed so that a number written in groups ('1xx-xxxx xxxx') reads as one number
    select
        trim(case_no) as case_no,
        {{ remove_chars(ascii_text('narrative'), ' -') }} as compact_text,
        lower({{ ascii_text('narrative') }}) as plain_text
    from latest
    where narrative is not null and not {{ is_purged('narrative') }}
),

narrative_numbers as (
    select
        case_no,
        unnest(regexp_extract_all(compact_text, '\+?[0-9]{7,19}')) as raw_number
    from narrative_text
),

narrative_classified as (
    select
        case_no,
        case
            when length(raw_number) between 16 and 19 and left(raw_number, 1) <> '+' then 'card'
            else 'phone'
        end as token_kind,
        raw_number
    from narrative_numbers
),

narrative_found as (
    select
        case_no,
        token_kind,
        case
            when token_kind = 'card' then {{ token('card', 'raw_number') }}
            else {{ token('phone', normalise_phone('raw_number')) }}
        end as token,
        case
            when token_kind = 'card' then {{ mask_card('raw_number') }}
            else {{ mask_phone(normalise_phone('raw_number')) }}
        end as masked
    from narrative_classified
    where token_kind = 'card' or length({{ normalise_phone('raw_number') }}) >= 11
    union all
    select
        case_no,
        'wechat' as token_kind,
        {{ token('wechat', 'chat_id') }} as token,
        {{ mask_id('chat_id') }} as masked
    from (
        select case_no, unnest(regexp_extract_all(plain_text, 'wxid_[a-z0-9_]+')) as chat_id
        from narrative_text
    )
    union all
    -- a purged narrative: the identifiers it carries
    select
        case_no,
        struct_extract(e, 'k') as token_kind,
        struct_extract(e, 't') as token,
        struct_extract(e, 'm') as masked
    from (
        select
            trim(case_no) as case_no,
            unnest(from_json(narrative, '{"i": [{"k": "VARCHAR", "t": "VARCHAR", "m": "VARCHAR"}]}').i) as e
        from latest
        where {{ is_purged('narrative') }}
    )
),

narrative_ids as (
    select
        case_no,
        list({ 'kind': token_kind, 'token': token, 'masked': masked } order by token_kind, token, masked)
            as narrative_identifiers
    from (select distinct * from narrative_found)
    group by case_no
),

renamed as (
    select
        -- ids
        trim(case_no) as case_no,
        trim(unit_code) as unit_code,
        trim(region_code) as region_code,
        -- attributes
        upper(trim(fraud_type)) as fraud_type,
        lower(trim(status)) as status,
        -- the clear text (restricted, read by no model); null once purged
        {{ unless_purged('narrative') }} as narrative,
        -- amounts
        {{ to_money('loss_amount') }} as loss_amount,
        -- timestamps
        {{ to_local_naive_ts('reported_at') }} as reported_at,
        {{ to_local_naive_ts('occurred_at') }} as occurred_at,
        {{ to_local_naive_ts('solved_at') }} as solved_at,
        updated_ts as updated_at,
        -- lineage
        _source,
        _batch,
        _delivery_id,
        _file,
        _line
    from latest
)

select
    renamed.*,
    narrative_ids.narrative_identifiers
from renamed
left join narrative_ids using (case_no)
