-- Case clusters: connected components of the case-link graph; a cluster is named by its smallest case_no.
with recursive
cases as (
    select case_no from {{ ref('stg_police__cases') }}
),

edges as (
    select distinct case_no, linked_case_no from {{ ref('int_case_links') }}
),

reach (case_no, reached_case_no) as (
    select case_no, case_no as reached_case_no from cases
    union
    select r.case_no, e.linked_case_no
    from reach as r
    inner join edges as e
        on r.reached_case_no = e.case_no
),

clusters as (
    select
        case_no,
        min(reached_case_no) as cluster_id
    from reach
    group by case_no
)

select
    case_no,
    cluster_id,
    count(*) over (partition by cluster_id) as cluster_size
from clusters
