with source as (
    select
        *,
        {{ to_local_naive_ts('updated_at') }} as updated_ts
    from {{ source('police', 'residents') }}
),

normalised as (
    select
        *,
        {{ normalise_id('id_no') }} as id_canonical
    from source
),

keyed as (
    -- versions are told apart by the token: a purged version (flows/privacy/purge.py) keeps it, not the number
    select
        *,
        {{ token('id', 'id_canonical') }} as id_token
    from normalised
),

latest as (
    {{ latest_version('keyed', 'id_token', police_version_order()) }}
),

renamed as (
    select
        -- ids
        id_token,
        {{ mask_id('id_canonical') }} as id_masked,
        {{ canonical_out('id_canonical') }} as id_canonical,
        {{ id_is_valid('id_canonical') }} as id_is_valid,
        trim(name) as name,
        {{ mask_name('name') }} as name_masked,
        trim(household_no) as household_no,
        -- attributes
        upper(trim(gender)) as gender,
        {{ to_date('birth_date') }} as birth_date,
        lower(trim(relation)) as relation,
        trim(region_code) as region_code,
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
