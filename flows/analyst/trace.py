"""`fraudbrain trace CASE_NO`: where a victim's money went, hop by hop, answered from the published warehouse.

Reads `marts.fct_cases`, `marts.case_money_paths` (one row per arrival of the money on a card, with the
card it came from) and `marts.stop_payment_targets` (what to stop-pay first) through a read-only
connection. Cards appear masked; tokens are printed for the bank request.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from flows.analyst.query import open_readonly
from flows.errors import UserError


@dataclass
class Hop:
    hop: int
    card_token: str
    card_masked: str | None
    bank_code: str | None
    card_status: str | None
    arrived_at: datetime | None
    traced_amount: Decimal | None
    via_txn_id: str | None
    priority_rank: int | None = None
    balance_evidence: Decimal | None = None
    stop_executed: bool = False
    children: list[Hop] = field(default_factory=list)


@dataclass
class Trace:
    case: dict[str, Any]
    roots: list[Hop]

    @property
    def cards(self) -> int:
        seen: set[str] = set()

        def walk(h: Hop) -> None:
            seen.add(h.card_token)
            for c in h.children:
                walk(c)

        for r in self.roots:
            walk(r)
        return len(seen)


class CaseNotFound(UserError, LookupError):
    """No such case in the published warehouse."""


def trace_case(warehouse: Path, case_no: str) -> Trace:
    case_no = unicodedata.normalize("NFKC", case_no).strip().upper()  # full-width or lower-case typing
    con = open_readonly(warehouse)
    try:
        cur = con.execute(
            "select case_no, region_code, unit_code, fraud_type, status, tier, reported_at, loss_amount, "
            "reported_payments from marts.fct_cases where case_no = ?",
            [case_no],
        )
        names = [d[0] for d in cur.description]
        row = cur.fetchone()
        if row is None:
            n, last = con.execute("select count(*), max(reported_at)::date from marts.fct_cases").fetchone()
            held = f"{n:,} cases, reported up to {last}" if n else "no cases"
            raise CaseNotFound(f"no case {case_no} in marts.fct_cases of {warehouse} ({held})")
        case = dict(zip(names, row, strict=True))
        paths = con.execute(
            """
            select p.hop, p.from_card_token, p.card_token, p.card_masked, p.bank_code, p.card_status, p.arrived_at,
                   p.traced_amount, p.via_txn_id, s.priority_rank, s.balance_evidence,
                   coalesce(s.stop_executed, false)
            from marts.case_money_paths p
            left join marts.stop_payment_targets s on s.case_no = p.case_no and s.card_token = p.card_token
            where p.case_no = ?
            order by p.hop, p.arrived_at, p.card_token
            """,
            [case_no],
        ).fetchall()
    finally:
        con.close()
    return Trace(case, _tree(paths))


def untraced_reason(case: dict[str, Any]) -> str:
    """Why a case that is in the warehouse has no money path, in words."""
    n = case.get("reported_payments") or 0
    if not n:
        return "no money was traced for this case: the police recorded no payment of the victims"
    return (
        f"no money was traced for this case: its {n} reported payment(s) match no transfer "
        "in the finance data published so far"
    )


def _tree(rows: list[tuple[Any, ...]]) -> list[Hop]:
    """Attach each arrival to the latest earlier arrival on the card it came from (money flows forward)."""
    roots: list[Hop] = []
    arrivals: dict[str, list[Hop]] = {}
    for hop, parent, *rest in rows:
        node = Hop(hop, *rest[:7], priority_rank=rest[7], balance_evidence=rest[8], stop_executed=bool(rest[9]))
        if parent is None:
            roots.append(node)
        else:
            candidates = [p for p in arrivals.get(parent, []) if p.hop == hop - 1]
            earlier = [p for p in candidates if _not_after(p.arrived_at, node.arrived_at)]
            if earlier or candidates:
                (earlier or candidates)[-1].children.append(node)
            else:
                roots.append(node)
        arrivals.setdefault(node.card_token, []).append(node)
    return roots


def _not_after(a: datetime | None, b: datetime | None) -> bool:
    return a is None or b is None or a <= b


def render(trace: Trace, console: Any) -> None:
    from rich.tree import Tree

    c = trace.case
    title = (
        f"[bold]{c['case_no']}[/bold] {c['fraud_type']} · {c['status']} · tier {c['tier']} · "
        f"reported {c['reported_at']} · loss ¥{c['loss_amount']:,} · region {c['region_code']}"
    )
    tree = Tree(title)

    def add(parent: Any, h: Hop) -> None:
        flags = []
        if h.priority_rank is not None:
            flags.append(f"stop-pay #{h.priority_rank}")
        if h.stop_executed:
            flags.append("stopped")
        if h.card_status == "frozen":
            flags.append("frozen")
        label = (
            f"hop {h.hop} [cyan]{h.card_masked or '?'}[/cyan] {h.bank_code or 'non-reporting bank'} · "
            f"¥{h.traced_amount or 0:,} at {h.arrived_at}"
            + (f" · balance ≥ ¥{h.balance_evidence:,}" if h.balance_evidence is not None else "")
            + (f" · [red]{', '.join(flags)}[/red]" if flags else "")
            + f" · [dim]{h.card_token}[/dim]"
        )
        node = parent.add(label)
        for ch in h.children:
            add(node, ch)

    for r in trace.roots:
        add(tree, r)
    if not trace.roots:
        tree.add(f"[yellow]{untraced_reason(trace.case)}[/yellow]")
    console.print(tree)


def as_json(trace: Trace) -> dict[str, Any]:
    def hop(h: Hop) -> dict[str, Any]:
        return {
            "hop": h.hop,
            "card_token": h.card_token,
            "card_masked": h.card_masked,
            "bank_code": h.bank_code,
            "card_status": h.card_status,
            "arrived_at": str(h.arrived_at) if h.arrived_at else None,
            "traced_amount": str(h.traced_amount) if h.traced_amount is not None else None,
            "via_txn_id": h.via_txn_id,
            "priority_rank": h.priority_rank,
            "balance_evidence": str(h.balance_evidence) if h.balance_evidence is not None else None,
            "stop_executed": h.stop_executed,
            "next": [hop(c) for c in h.children],
        }

    case = {k: (str(v) if v is not None else None) for k, v in trace.case.items()}
    doc: dict[str, Any] = {"case": case, "paths": [hop(r) for r in trace.roots]}
    if not trace.roots:
        doc["note"] = untraced_reason(trace.case)
    return doc


CSV_COLUMNS = (
    "case_no", "hop", "from_card_token", "card_token", "card_masked", "bank_code", "card_status", "arrived_at",
    "traced_amount", "via_txn_id", "priority_rank", "balance_evidence", "stop_executed",
)  # fmt: skip


def as_rows(trace: Trace) -> list[tuple[Any, ...]]:
    """The tree as rows, one per arrival, depth first, each naming the card the money came from."""
    rows: list[tuple[Any, ...]] = []

    def walk(h: Hop, parent: str | None) -> None:
        rows.append(
            (
                trace.case["case_no"],
                h.hop,
                parent,
                h.card_token,
                h.card_masked,
                h.bank_code,
                h.card_status,
                h.arrived_at,
                h.traced_amount,
                h.via_txn_id,
                h.priority_rank,
                h.balance_evidence,
                h.stop_executed,
            )
        )
        for c in h.children:
            walk(c, h.card_token)

    for r in trace.roots:
        walk(r, None)
    return rows
