with source as (
    select
        *,
        {{ to_local_naive_ts('updated_at') }} as updated_ts
    from {{ source('police', 'supervision_tasks') }}
),

latest as (
    {{ latest_version('source', 'trim(task_id)', police_version_order()) }}
),

renamed as (
    select
        trim(task_id) as task_id,
        trim(unit_code) as unit_code,
        lower(trim(kind)) as kind,
        feedback,
        ref_no,
        {{ to_local_naive_ts('issued_at') }} as issued_at,
        {{ to_local_naive_ts('due_at') }} as due_at,
        {{ to_local_naive_ts('completed_at') }} as completed_at,
        updated_ts as updated_at,
        _source,
        _batch,
        _delivery_id,
        _file,
        _line
    from latest
)

select * from renamed
