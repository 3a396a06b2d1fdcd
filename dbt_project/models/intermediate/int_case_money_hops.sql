-- Money paths, one row per arrival of traced money on a card: from each reported payment, follow the money forward card by card, hop by hop (unrolled to
-- trace_max_hops), within the trace window after it arrived. Hop 1 is the card the victim paid into.
-- An outgoing transfer is attributed to the case whose money arrived on the card last before it (mule cards
-- carry several cases' money: the money that just came in is the money that goes out), and only when it
-- moves a material share (trace_min_share) of the amount traced so far (a mule's small purchases are not
-- the victim's money moving on). traced_amount: per arrival, the most of the payment that can have come with
-- it (capped by each transfer on the way); per card, summed over its arrivals.
with reported as (
    select
        case_no,
        to_card_token as card_token,
        paid_at as arrived_at,
        amount as traced_amount
    from {{ ref('stg_police__case_transfers') }}
    where to_card_token is not null and paid_at is not null and amount is not null
),

edges as (
    select * from {{ ref('int_transfers_graph') }}
    where not is_cash_out
),

-- one row per arrival of traced money on a card (a card paid twice has two arrivals)
hop_1 as (
    select
        case_no,
        1 as hop,
        cast(null as varchar) as from_card_token,
        card_token,
        arrived_at,
        traced_amount,
        cast(null as varchar) as via_txn_id,
        '|' || card_token || '|' as path
    from reported
),

{% for k in range(2, var('trace_max_hops') + 1) %}
known_{{ k }} as (
    {% for j in range(1, k) -%}
    select case_no, card_token, arrived_at from hop_{{ j }}
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}
),

candidates_{{ k }} as (
    select
        p.case_no,
        p.card_token as from_card_token,
        e.to_card_token,
        e.txn_id,
        e.txn_at,
        e.amount,
        p.traced_amount,
        p.arrived_at,
        p.path
    from hop_{{ k - 1 }} as p
    inner join edges as e
        on
            p.card_token = e.from_card_token
            and e.txn_at >= p.arrived_at - interval '{{ var("trace_tolerance_minutes") }} minutes'
            and e.txn_at <= p.arrived_at + interval '{{ var("trace_window_hours") }} hours'
            and e.amount >= p.traced_amount * {{ var('trace_min_share') }}
    where position('|' || e.to_card_token || '|' in p.path) = 0
),

-- the latest arrival on the source card before each transfer, over every case traced so far
latest_arrival_{{ k }} as (
    select
        c.txn_id,
        max(kn.arrived_at) as latest_arrived_at
    from candidates_{{ k }} as c
    inner join known_{{ k }} as kn
        on
            c.from_card_token = kn.card_token
            and kn.arrived_at <= c.txn_at + interval '{{ var("trace_tolerance_minutes") }} minutes'
    group by c.txn_id
),

hop_{{ k }} as (
    select
        c.case_no,
        {{ k }} as hop,
        c.from_card_token,
        c.to_card_token as card_token,
        c.txn_at as arrived_at,
        least(max(c.traced_amount), max(c.amount)) as traced_amount,
        c.txn_id as via_txn_id,
        min(c.path) || c.to_card_token || '|' as path
    from candidates_{{ k }} as c
    inner join latest_arrival_{{ k }} as la
        on c.txn_id = la.txn_id and c.arrived_at = la.latest_arrived_at
    group by c.case_no, c.from_card_token, c.to_card_token, c.txn_at, c.txn_id
),

{% endfor %}
all_hops as (
    {% for k in range(1, var('trace_max_hops') + 1) -%}
    select case_no, hop, from_card_token, card_token, arrived_at, traced_amount, via_txn_id from hop_{{ k }}
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}
)

select
    case_no,
    hop,
    from_card_token,
    card_token,
    arrived_at,
    cast(traced_amount as decimal(18, 2)) as traced_amount,
    via_txn_id
from all_hops
