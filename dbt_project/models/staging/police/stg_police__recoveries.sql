with source as (
    select
        *,
        {{ to_local_naive_ts('updated_at') }} as updated_ts
    from {{ source('police', 'recoveries') }}
),

latest as (
    {{ latest_version('source', 'trim(case_no), ' ~ to_int('seq'), police_version_order()) }}
),

renamed as (
    select
        trim(case_no) as case_no,
        cast({{ to_int('seq') }} as integer) as seq,
        {{ to_money('amount') }} as amount,
        {{ to_local_naive_ts('recovered_at') }} as recovered_at,
        updated_ts as updated_at,
        _source,
        _batch,
        _delivery_id,
        _file,
        _line
    from latest
)

select * from renamed
