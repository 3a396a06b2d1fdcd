-- Money paths, one row per arrival of traced money on a card: from each reported payment, follow the money
-- forward card by card, hop by hop (unrolled to trace_max_hops), within the trace window after it arrived.
-- Hop 1 is the card the victim paid into.
-- An outgoing transfer moves the money on only when it is plausibly that money:
--   * it leaves within the card's window after the arrival: trace_window_hours (mule cards pass money on fast:
--     快进快出), or for a card whose money usually waits longer (its median dwell, int_card_flows_aggregated)
--     trace_dwell_factor times that wait, at most trace_window_max_hours: a slow chain is followed as far as
--     its own pace, an ordinary card keeps the short window unless it holds money long anyway;
--     only the hop-1 arrival (a police time) gets trace_tolerance_minutes of clock difference;
--   * it moves a material share (trace_min_share; out of the card the victim paid into, where gangs split the
--     payment over several mules, trace_min_share_first_hop) of the amount that arrived and not much more than arrived
--     (trace_max_amount_ratio: a bigger transfer is other money: the holder's own, or another case's);
--   * it does not go to a card that looks like ordinary commerce: a card paid by trace_stop_min_payers or more
--     different cards (a shop, a cash business) is where a mule spends, not where the money is hidden.
-- A transfer is attributed to the case whose plausible arrival on the card came last before it (mule cards carry
-- several cases' money: the money that just came in is the money that goes out). traced_amount: per arrival,
-- the most of the payment that can have come with it (capped by each transfer on the way); per card, summed
-- over its arrivals.
with reported as (
    select
        case_no,
        to_card_token as card_token,
        paid_at as arrived_at,
        amount as traced_amount
    from {{ ref('stg_police__case_transfers') }}
    where to_card_token is not null and paid_at is not null and amount is not null
),

commerce_cards as (
    select card_token from {{ ref('int_card_flows_aggregated') }}
    where inflow_counterparties >= {{ var('trace_stop_min_payers') }}
),

-- how long after an arrival a transfer out of the card still moves that money, in minutes
card_windows as (
    select
        card_token,
        greatest(
            {{ var('trace_window_hours') }} * 60.0,
            least({{ var('trace_window_max_hours') }} * 60.0, {{ var('trace_dwell_factor') }} * median_dwell_minutes)
        ) as window_minutes
    from {{ ref('int_card_flows_aggregated') }}
    where median_dwell_minutes is not null
),

edges as (
    select
        g.*,
        cast(coalesce(w.window_minutes, {{ var('trace_window_hours') }} * 60.0) as integer) as window_minutes
    from {{ ref('int_transfers_graph') }} as g
    left join card_windows as w
        on g.from_card_token = w.card_token
    where
        not g.is_cash_out
        and g.to_card_token not in (select card_token from commerce_cards)
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
candidates_{{ k }} as (
    select
        p.case_no,
        p.card_token as from_card_token,
        e.to_card_token,
        e.txn_id,
        e.txn_at,
        e.amount,
        e.window_minutes,
        p.traced_amount,
        p.arrived_at,
        p.path
    from hop_{{ k - 1 }} as p
    inner join edges as e
        on
            p.card_token = e.from_card_token
            {% if k == 2 -%}
            and e.txn_at >= p.arrived_at - interval '{{ var("trace_tolerance_minutes") }} minutes'
            {%- else -%}
            and e.txn_at >= p.arrived_at
            {%- endif %}
            and e.txn_at <= {{ dbt.dateadd('minute', 'e.window_minutes', 'p.arrived_at') }}
            and e.amount >= p.traced_amount * {{ var('trace_min_share_first_hop' if k == 2 else 'trace_min_share') }}
            and e.amount <= p.traced_amount * {{ var('trace_max_amount_ratio') }}
    where position('|' || e.to_card_token || '|' in p.path) = 0
),

-- every arrival traced so far, at any hop (a card can be reached at different hops by different cases)
known_{{ k }} as (
    {% for j in range(1, k) -%}
    select card_token, arrived_at, traced_amount, {{ j }} as hop from hop_{{ j }}
    {% if not loop.last %}union all
    {% endif %}
    {%- endfor %}
),

-- the latest plausible arrival on the source card before each transfer, over every case traced so far
latest_arrival_{{ k }} as (
    select
        c.txn_id,
        max(kn.arrived_at) as latest_arrived_at
    from (select distinct txn_id, from_card_token, txn_at, amount, window_minutes from candidates_{{ k }}) as c
    inner join known_{{ k }} as kn
        on
            c.from_card_token = kn.card_token
            and c.txn_at >= kn.arrived_at - case
                when kn.hop = 1 then interval '{{ var("trace_tolerance_minutes") }} minutes' else interval '0 minutes'
            end
            and c.txn_at <= {{ dbt.dateadd('minute', 'c.window_minutes', 'kn.arrived_at') }}
            and c.amount >= kn.traced_amount * case
                when kn.hop = 1 then {{ var('trace_min_share_first_hop') }} else {{ var('trace_min_share') }}
            end
            and c.amount <= kn.traced_amount * {{ var('trace_max_amount_ratio') }}
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
