-- The transaction graph: successful card-to-card movements and cash-outs (edges between card tokens).
select
    txn_id,
    from_card_token,
    to_card_token,
    amount,
    channel,
    txn_at,
    device_token,
    ip_token,
    to_card_token is null as is_cash_out,
    _batch,
    _line
from {{ ref('stg_finance__transactions') }}
where
    status = 'success'
    and amount is not null
    and txn_at is not null
    and from_card_token is not null
