-- The life of each lead, the closed loop 研判 → 交办 → 办理 → 督办 → 办结, derived from the unit's follow-up:
-- supervision tasks of kind lead_followup that reference one of the lead's cases (the case number, with or
-- without its letter, in the task id or its feedback). As of the latest data time, never the wall clock.
with leads as (
    select
        lead_id,
        min(unit_code) as unit_code,
        min(lead_kind) as lead_kind,
        min(subject_token) as subject_token,
        min(subject_masked) as subject_masked,
        count(*) as evidence_items,
        count(distinct case_no) as cases,
        sum(coalesce(amount, 0)) as amount,
        min(event_at) as first_event_at,
        max(event_at) as last_event_at,
        bool_or(is_new) as is_new
    from {{ ref('lead_packages') }}
    group by lead_id
),

lead_cases as (
    select distinct lead_id, case_no from {{ ref('lead_packages') }} where case_no is not null
),

tasks as (
    select
        task_id,
        unit_code,
        issued_at,
        due_at,
        completed_at,
        feedback is not null and trim(feedback) <> '' as has_feedback,
        regexp_extract(task_id || ' ' || coalesce(feedback, ''), '([0-9]{19})', 1) as case_digits
    from {{ ref('stg_police__supervision_tasks') }}
    where kind = 'lead_followup'
),

clock as (
    select as_of from {{ ref('int_data_clock') }}
),

followed as (
    select
        lc.lead_id,
        count(distinct t.task_id) as tasks,
        min(t.issued_at) as assigned_at,
        max(t.due_at) as due_at,
        bool_and(t.completed_at is not null) as all_completed,
        max(t.completed_at) as completed_at,
        bool_or(t.has_feedback) as has_feedback
    from lead_cases as lc
    inner join tasks as t on t.case_digits <> '' and substr(lc.case_no, 2) = t.case_digits
    group by lc.lead_id
)

select
    l.lead_id,
    l.unit_code,
    l.lead_kind,
    l.subject_token,
    l.subject_masked,
    l.evidence_items,
    l.cases,
    cast(l.amount as decimal(18, 2)) as amount,
    l.first_event_at,
    l.last_event_at,
    l.is_new,
    coalesce(f.tasks, 0) as followup_tasks,
    f.assigned_at,
    f.due_at,
    f.completed_at,
    case
        when f.lead_id is null then 'analysed'
        when f.all_completed then 'closed'
        when clock.as_of > f.due_at then 'overdue'
        when f.has_feedback then 'in_progress'
        else 'assigned'
    end as stage,
    case
        when f.lead_id is null then '研判'
        when f.all_completed then '办结'
        when clock.as_of > f.due_at then '督办'
        when f.has_feedback then '办理'
        else '交办'
    end as stage_zh,
    {{ token_key_id_column() }}
from leads as l
cross join clock
left join followed as f on l.lead_id = f.lead_id
