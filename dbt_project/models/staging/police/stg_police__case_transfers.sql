with source as (
    select
        *,
        {{ to_local_naive_ts('updated_at') }} as updated_ts
    from {{ source('police', 'case_transfers') }}
),

latest as (
    {{ latest_version('source', 'trim(case_no), ' ~ to_int('seq'), police_version_order()) }}
),

normalised as (
    select
        *,
        {{ normalise_card('from_card') }} as from_card_canonical,
        {{ normalise_card('to_card') }} as to_card_canonical
    from latest
),

renamed as (
    select
        -- ids
        trim(case_no) as case_no,
        cast({{ to_int('seq') }} as integer) as seq,
        {{ token('card', 'from_card_canonical') }} as from_card_token,
        {{ mask_card('from_card_canonical') }} as from_card_masked,
        {{ token('card', 'to_card_canonical') }} as to_card_token,
        {{ mask_card('to_card_canonical') }} as to_card_masked,
        {{ canonical_out('to_card_canonical') }} as to_card_canonical,
        -- amounts
        {{ to_money('amount') }} as amount,
        -- attributes
        lower(trim(channel)) as channel,
        -- timestamps
        {{ to_local_naive_ts('paid_at') }} as paid_at,
        updated_ts as updated_at,
        -- lineage
        _source,
        _batch,
        _delivery_id,
        _file,
        _line
    from normalised
)

select * from renamed
