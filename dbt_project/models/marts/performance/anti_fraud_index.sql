-- The anti-fraud index per county region and month: each dimension (anti_fraud_index_values, configured in the
-- seed anti_fraud_index_dimensions with its aspect, weight and direction) is scored 0-100 against the other
-- regions of the same month (min-max; 50 when all regions are equal or the value is undefined; reversed when
-- lower is better), averaged by weight into the five aspects (发案 incidence, 宣防 prevention, 打击 strikes,
-- 治理 governance, 督导 supervision) and the total, and ranked (1 = best).
with config as (
    select * from {{ ref('anti_fraud_index_dimensions') }}
),

dimension_values as (
    select * from {{ ref('anti_fraud_index_values') }}
),

scored as (
    select
        v.region_code,
        v.month,
        v.dimension,
        c.aspect,
        c.weight,
        c.direction,
        v.raw_value,
        min(v.raw_value) over (partition by v.month, v.dimension) as month_min,
        max(v.raw_value) over (partition by v.month, v.dimension) as month_max
    from dimension_values as v
    inner join config as c on v.dimension = c.dimension
),

dimension_scores as (
    select
        *,
        case
            when raw_value is null or month_max = month_min then 50.0
            when direction = 'higher' then 100.0 * (raw_value - month_min) / (month_max - month_min)
            else 100.0 * (month_max - raw_value) / (month_max - month_min)
        end as dimension_score
    from scored
),

aspects as (
    select
        region_code,
        month,
        sum(case when aspect = 'incidence' then weight * dimension_score end)
        / sum(case when aspect = 'incidence' then weight end) as incidence_score,
        sum(case when aspect = 'prevention' then weight * dimension_score end)
        / sum(case when aspect = 'prevention' then weight end) as prevention_score,
        sum(case when aspect = 'strikes' then weight * dimension_score end)
        / sum(case when aspect = 'strikes' then weight end) as strikes_score,
        sum(case when aspect = 'governance' then weight * dimension_score end)
        / sum(case when aspect = 'governance' then weight end) as governance_score,
        sum(case when aspect = 'supervision' then weight * dimension_score end)
        / sum(case when aspect = 'supervision' then weight end) as supervision_score,
        sum(weight * dimension_score) / sum(weight) as total_score,
        count(*) as dimensions
    from dimension_scores
    group by region_code, month
)

select
    region_code,
    month,
    cast(round(incidence_score, 2) as decimal(6, 2)) as incidence_score,
    cast(round(prevention_score, 2) as decimal(6, 2)) as prevention_score,
    cast(round(strikes_score, 2) as decimal(6, 2)) as strikes_score,
    cast(round(governance_score, 2) as decimal(6, 2)) as governance_score,
    cast(round(supervision_score, 2) as decimal(6, 2)) as supervision_score,
    cast(round(total_score, 2) as decimal(6, 2)) as total_score,
    rank() over (partition by month order by round(total_score, 2) desc) as total_rank,
    dimensions,
    {{ token_key_id_column() }}
from aspects
