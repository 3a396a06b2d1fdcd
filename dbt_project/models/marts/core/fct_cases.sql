-- One row per case, with its cluster and the triage tier:
-- major (loss ≥ major_case_amount), serial (cluster of serial_cluster_size or more cases), else minor.
with cases as (
    select * from {{ ref('stg_police__cases') }}
),

clusters as (
    select * from {{ ref('int_cases_clustered') }}
),

victims as (
    select case_no, count(*) as victims
    from {{ ref('stg_police__victims') }}
    group by case_no
),

transfers as (
    select case_no, count(*) as reported_payments, sum(amount) as reported_paid_amount, min(paid_at) as first_paid_at
    from {{ ref('stg_police__case_transfers') }}
    group by case_no
),

recoveries as (
    select case_no, sum(amount) as recovered_amount
    from {{ ref('stg_police__recoveries') }}
    group by case_no
),

joined as (
    select
        c.*,
        cl.cluster_id,
        cl.cluster_size,
        coalesce(v.victims, 0) as victims,
        coalesce(t.reported_payments, 0) as reported_payments,
        coalesce(t.reported_paid_amount, 0) as reported_paid_amount,
        t.first_paid_at,
        coalesce(r.recovered_amount, 0) as recovered_amount
    from cases as c
    left join clusters as cl on c.case_no = cl.case_no
    left join victims as v on c.case_no = v.case_no
    left join transfers as t on c.case_no = t.case_no
    left join recoveries as r on c.case_no = r.case_no
)

select
    case_no,
    unit_code,
    region_code,
    fraud_type,
    status,
    status = 'solved' as is_solved,
    status <> 'registered' as is_closed,
    reported_at,
    {{ month_of('reported_at') }} as month,
    occurred_at,
    solved_at,
    loss_amount,
    reported_paid_amount,
    recovered_amount,
    victims,
    reported_payments,
    cluster_id,
    cluster_size,
    {{ case_tier('loss_amount', 'cluster_size') }} as tier,
    _batch,
    _line,
    {{ token_key_id_column() }}
from joined
