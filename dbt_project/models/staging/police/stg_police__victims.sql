with source as (
    select
        *,
        {{ to_local_naive_ts('updated_at') }} as updated_ts
    from {{ source('police', 'victims') }}
),

latest as (
    {{ latest_version('source', 'trim(case_no), ' ~ to_int('seq'), police_version_order()) }}
),

normalised as (
    select
        *,
        {{ normalise_id('id_no') }} as id_canonical,
        {{ normalise_phone('phone') }} as phone_canonical
    from latest
),

renamed as (
    select
        -- ids
        trim(case_no) as case_no,
        cast({{ to_int('seq') }} as integer) as seq,
        {{ token('id', 'id_canonical') }} as id_token,
        {{ mask_id('id_canonical') }} as id_masked,
        {{ canonical_out('id_canonical') }} as id_canonical,
        {{ id_is_valid('id_canonical') }} as id_is_valid,
        {{ token('phone', 'phone_canonical') }} as phone_token,
        {{ mask_phone('phone_canonical') }} as phone_masked,
        {{ canonical_out('phone_canonical') }} as phone_canonical,
        {{ phone_is_valid('phone_canonical') }} as phone_is_valid,
        trim(name) as name,
        {{ mask_name('name') }} as name_masked,
        -- attributes
        upper(trim(gender)) as gender,
        cast({{ to_int('age') }} as integer) as age,
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
