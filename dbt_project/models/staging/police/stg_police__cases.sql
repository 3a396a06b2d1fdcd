with source as (
    select
        *,
        {{ to_local_naive_ts('updated_at') }} as updated_ts
    from {{ source('police', 'cases') }}
),

latest as (
    {{ latest_version('source', 'trim(case_no)', police_version_order()) }}
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
        narrative,
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

select * from renamed
