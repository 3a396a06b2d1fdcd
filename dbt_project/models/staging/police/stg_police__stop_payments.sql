with source as (
    select
        *,
        {{ to_local_naive_ts('updated_at') }} as updated_ts
    from {{ source('police', 'stop_payments') }}
),

latest as (
    {{ latest_version('source', 'trim(request_no)', police_version_order()) }}
),

normalised as (
    select
        *,
        {{ normalise_card('card_no') }} as card_canonical
    from latest
),

renamed as (
    select
        -- ids
        trim(request_no) as request_no,
        nullif(trim(case_no), '') as case_no,
        {{ token('card', 'card_canonical') }} as card_token,
        {{ mask_card('card_canonical') }} as card_masked,
        trim(unit_code) as unit_code,
        -- amounts
        {{ to_money('amount_stopped') }} as amount_stopped,
        -- attributes
        lower(trim(status)) as status,
        -- timestamps
        {{ to_local_naive_ts('requested_at') }} as requested_at,
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
