with source as (
    select
        *,
        {{ to_local_naive_ts('updated_at') }} as updated_ts
    from {{ source('police', 'case_contacts') }}
),

latest as (
    {{ latest_version('source', 'trim(case_no), ' ~ to_int('seq'), police_version_order()) }}
),

normalised as (
    select
        *,
        lower(trim(contact_type)) as contact_kind,
        case
            when lower(trim(contact_type)) = 'phone' then {{ normalise_phone('contact_value') }}
            else {{ normalise_text_id(ascii_text('contact_value')) }}
        end as contact_canonical
    from latest
),

renamed as (
    select
        -- ids
        trim(case_no) as case_no,
        cast({{ to_int('seq') }} as integer) as seq,
        contact_kind as contact_type,
        pii_token(contact_kind, contact_canonical) as contact_token,
        case
            when contact_kind = 'phone' then {{ mask_phone('contact_canonical') }}
            else {{ mask_id('contact_canonical') }}
        end as contact_masked,
        {{ canonical_out('contact_canonical') }} as contact_canonical,
        case when contact_kind = 'phone' then {{ phone_kind('contact_canonical') }} end as phone_kind,
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
