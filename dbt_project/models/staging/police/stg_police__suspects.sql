with source as (
    select
        *,
        {{ to_local_naive_ts('updated_at') }} as updated_ts
    from {{ source('police', 'suspects') }}
),

latest as (
    {{ latest_version('source', 'trim(suspect_no)', police_version_order()) }}
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
        trim(suspect_no) as suspect_no,
        nullif(trim(case_no), '') as case_no,
        {{ token('id', 'id_canonical') }} as id_token,
        {{ mask_id('id_canonical') }} as id_masked,
        {{ canonical_out('id_canonical') }} as id_canonical,
        {{ id_is_valid('id_canonical') }} as id_is_valid,
        {{ token('phone', 'phone_canonical') }} as phone_token,
        {{ mask_phone('phone_canonical') }} as phone_masked,
        {{ canonical_out('phone_canonical') }} as phone_canonical,
        trim(name) as name,
        {{ mask_name('name') }} as name_masked,
        -- attributes
        lower(trim(role)) as role,
        trim(unit_code) as unit_code,
        -- timestamps
        {{ to_local_naive_ts('arrested_at') }} as arrested_at,
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
