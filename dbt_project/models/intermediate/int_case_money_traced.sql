-- Money paths per card: every card reached from a case's reported payments (int_case_money_hops), with the
-- fewest hops it was reached in and the most of the victims' money that can have reached it.
with hops as (
    select * from {{ ref('int_case_money_hops') }}
)

select
    case_no,
    card_token,
    min(hop) as hop,
    cast(sum(traced_amount) as decimal(18, 2)) as traced_amount,
    min(arrived_at) as first_arrived_at,
    count(*) as paths,
    min(via_txn_id) as via_txn_id
from hops
group by case_no, card_token
