-- Per county region and month, each measure defined once:
--   cases/losses/solved: cases by their region_code and the month of reported_at; solved = solved now.
--   major_*: the same for cases with loss ≥ major_case_amount.
--   suspects_arrested: by arrested_at, region of the arresting unit.
--   stop_payment_*: executed stop-payments by requested_at, region of the requesting unit.
--   recovered_amount: by recovered_at, region of the case.
--   warnings_issued/dissuaded: by issued_at, region of the following-up unit.
with cases as (
    select * from {{ ref('fct_cases') }}
),

units as (
    select unit_code, region_code from {{ ref('stg_police__units') }}
),

case_measures as (
    select
        region_code,
        month,
        count(*) as cases,
        sum(loss_amount) as losses,
        cast(sum(case when is_solved then 1 else 0 end) as bigint) as solved,
        cast(sum(case when loss_amount >= {{ var('major_case_amount') }} then 1 else 0 end) as bigint) as major_cases,
        sum(case when loss_amount >= {{ var('major_case_amount') }} then loss_amount else 0 end) as major_losses,
        cast(sum(case when loss_amount >= {{ var('major_case_amount') }} and is_solved then 1 else 0 end) as bigint)
            as major_solved
    from cases
    group by 1, 2
),

arrests as (
    select u.region_code, {{ month_of('s.arrested_at') }} as month, count(*) as suspects_arrested
    from {{ ref('stg_police__suspects') }} as s
    inner join units as u on s.unit_code = u.unit_code
    where s.arrested_at is not null
    group by 1, 2
),

stops as (
    select
        u.region_code,
        {{ month_of('sp.requested_at') }} as month,
        count(distinct sp.card_token) as stop_payment_accounts,
        sum(sp.amount_stopped) as stop_payment_amount
    from {{ ref('stg_police__stop_payments') }} as sp
    inner join units as u on sp.unit_code = u.unit_code
    where sp.status = 'executed'
    group by 1, 2
),

recoveries as (
    select c.region_code, {{ month_of('r.recovered_at') }} as month, sum(r.amount) as recovered_amount
    from {{ ref('stg_police__recoveries') }} as r
    inner join {{ ref('stg_police__cases') }} as c on r.case_no = c.case_no
    group by 1, 2
),

warnings as (
    select
        u.region_code,
        {{ month_of('w.issued_at') }} as month,
        count(*) as warnings_issued,
        cast(sum(case when w.outcome = 'dissuaded' then 1 else 0 end) as bigint) as warnings_dissuaded
    from {{ ref('stg_police__warnings') }} as w
    inner join units as u on w.unit_code = u.unit_code
    group by 1, 2
),

keys as (
    select region_code, month from case_measures
    union
    select region_code, month from arrests
    union
    select region_code, month from stops
    union
    select region_code, month from recoveries
    union
    select region_code, month from warnings
)

select
    k.region_code,
    k.month,
    coalesce(c.cases, 0) as cases,
    cast(coalesce(c.losses, 0) as decimal(18, 2)) as losses,
    coalesce(c.solved, 0) as solved,
    cast(case when c.cases > 0 then c.solved / c.cases end as decimal(9, 4)) as solve_rate,
    coalesce(c.major_cases, 0) as major_cases,
    cast(coalesce(c.major_losses, 0) as decimal(18, 2)) as major_losses,
    coalesce(c.major_solved, 0) as major_solved,
    cast(case when c.major_cases > 0 then c.major_solved / c.major_cases end as decimal(9, 4)) as major_solve_rate,
    coalesce(a.suspects_arrested, 0) as suspects_arrested,
    coalesce(s.stop_payment_accounts, 0) as stop_payment_accounts,
    cast(coalesce(s.stop_payment_amount, 0) as decimal(18, 2)) as stop_payment_amount,
    cast(coalesce(r.recovered_amount, 0) as decimal(18, 2)) as recovered_amount,
    coalesce(w.warnings_issued, 0) as warnings_issued,
    coalesce(w.warnings_dissuaded, 0) as warnings_dissuaded,
    {{ token_key_id_column() }}
from keys as k
left join case_measures as c on k.region_code = c.region_code and k.month = c.month
left join arrests as a on k.region_code = a.region_code and k.month = a.month
left join stops as s on k.region_code = s.region_code and k.month = s.month
left join recoveries as r on k.region_code = r.region_code and k.month = r.month
left join warnings as w on k.region_code = w.region_code and k.month = w.month
where k.month is not null
