"""Detection quality: the published marts against the simulator's ground truth (issue 7, detection half).

``evaluate(truth_dir, warehouse, pii_key)`` reads the ground truth (``simulator/TRUTH.md``, clear
identifiers) and the published warehouse (opened read-only; tokens only), tokenises every truth identifier
with ``flows.privacy.pii`` (canonical form first, so messy or 15-digit writings give the warehouse's token) and
scores each finding type. Nothing clear leaves this module: every identifier in an ``Evaluation`` is a
token (32 hex), a case number, or a gang / cluster id. ``render`` prints it; ``Evaluation.to_json`` is
the machine form. Full definitions, with examples: ``docs/EVALUATION.md``.

Common rules
------------
* The world's clock ``as_of`` is the end of the truth's ``last_day`` (``last_day + 1`` at 00:00, local time).
* Set findings compare a truth set P (positives), an optional neutral set N (guilty of something else,
  e.g. a caller flagged as a two-card supplier: neither a hit nor a false alarm) and the flagged set F
  (distinct non-null keys of the mart; a key listed twice counts once).
  TP = |F ∩ P|, FP = |F − P − N|, FN = |P − F|, neutral flagged = |F ∩ N − P|.
  precision = TP / (TP + FP), None when nothing (non-neutral) is flagged; recall = TP / (TP + FN), None
  when P is empty; F1 = 2PR / (P + R), None when either is None, 0 when both are 0.
* Pair findings (co-membership) score unordered pairs of distinct items over the items present in both
  the truth and the mart: a truth pair shares a truth group, a flagged pair shares a mart group;
  TP/FP/FN and P/R/F1 as above over pairs. Items of one side only are counted in the notes.
* Innocent look-alikes flagged: flagged keys outside P ∪ N that belong to a truth look-alike (by person
  token, or for cards by the mart's ``holder_id_token``), counted by look-alike kind.
* Largest misses: FN keys by their truth weight; largest false alarms: FP keys by their mart weight
  (top ``TOP_N``, ties by key).

Finding types
-------------
* two-card suppliers: P = ID tokens of gang members with role ``card_supplier``, of the holders of planted
  ``first_hop`` cards and of the registered holders of planted SIMs (gangs active by ``last_day``);
  N = the other gang members (mules hold the mule cards: scored under mule cards). F =
  ``marts.two_card_leads.id_token``. Weight of a miss: planted cards + SIMs; of a false alarm: ``score``.
* gang members: P = ID tokens of all members of gangs active by ``last_day`` (members of gangs not yet
  active are neutral); F = ``marts.gangs.id_token``.
  Weight of a miss: the truth cases of the member's gang; of a false alarm: ``cases``.
* gang assignment: pairs of members in the same truth gang vs pairs with the same ``marts.gangs.gang_id``,
  over members found by both.
* mule cards: P = card tokens of planted cards with role ``mule`` or ``collector`` (the collector is the
  mule card that gathers the money) that received victims' money on the truth ``money_path`` by
  ``last_day``; N = planted ``first_hop`` cards (gang cards that pass money on, a mule in the broad sense)
  and planted mule cards that never carried money. F = ``marts.mule_accounts.card_token``. Weight of a
  miss: money received on the path; of a false alarm: ``traced_case_amount``.
* case clusters: pairs of truth cases (``cases.jsonl``) of the same gang vs pairs with the same
  ``marts.case_clusters.cluster_id``; cases matched by trimmed ``case_no`` (never tokenised).
* stop-payment targets: key = (case_no, card token). P = for each case open at ``as_of`` (its episode's
  ``solved_at`` null or later), every non-null ``to_card`` of its episode's ``money_path`` (victim payment
  and mule hops; the cash-out hop has no card). N = mart rows of truth cases that are solved by
  ``as_of``. F = ``marts.stop_payment_targets (case_no, card_token)``. Weights: amount that reached the
  card / ``traced_amount``.
* warning targets: the mart is a snapshot of people called by fraud-tied numbers in the
  ``WARNING_LOOKBACK_HOURS`` before ``as_of``. Victims in scope: victim phones of ``paid`` episodes that a
  gang called in that window (``fraud_calls`` or ``first_call_at``), whose first payment is after the
  window start and who had not reported by ``as_of``. A victim is on the list in time when its phone token
  is in ``marts.warning_targets.phone_token`` with ``first_contact_at`` before its first payment (without
  a time column: listed at all, and the lead time is not reported). Lead time = first payment −
  ``first_contact_at`` (hours; median over the victims on time; the list is published by the next run, so
  this is an upper bound). Preventable = victims in scope whose first payment is after ``as_of``. Listed
  never paid = listed phones of no ``paid`` episode, split into targeted (a gang called them: cold-call
  or hooked and did not pay) and never contacted by a gang.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from itertools import combinations
from pathlib import Path
from typing import Any, Literal

import duckdb

from flows.privacy.pii import token
from rules.identifiers import normalise_card, normalise_id, normalise_phone

TOP_N = 5
WARNING_LOOKBACK_HOURS = 48
MULE_ROLES = frozenset({"mule", "collector"})
SUPPLIER_CARD_ROLES = frozenset({"first_hop"})
LOCAL_TZ = timezone(timedelta(hours=8))

Row = dict[str, Any]


# ---- results ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ranked:
    """One miss or false alarm: a token, a case_no:token pair or a group id, and its weight."""

    key: str
    weight: float


@dataclass
class Finding:
    """Scores of one finding type (a set or a pairwise comparison)."""

    name: str
    kind: Literal["set", "pairs"]
    built: bool = True
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    neutral_flagged: int = 0
    lookalikes_flagged: dict[str, int] = field(default_factory=dict)
    largest_misses: list[Ranked] = field(default_factory=list)
    largest_false_alarms: list[Ranked] = field(default_factory=list)
    miss_weight: str = ""
    alarm_weight: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        return _ratio(self.true_positives, self.true_positives + self.false_positives)

    @property
    def recall(self) -> float | None:
        return _ratio(self.true_positives, self.true_positives + self.false_negatives)

    @property
    def f1(self) -> float | None:
        return f1_score(self.precision, self.recall)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "precision": _r(self.precision), "recall": _r(self.recall), "f1": _r(self.f1)}


@dataclass
class WarningEval:
    """Warning targets (预警劝阻) against the victims of the truth."""

    built: bool = True
    has_time: bool = True
    window_start: str = ""
    as_of: str = ""
    listed: int = 0
    victims_in_scope: int = 0
    listed_before_payment: int = 0
    median_lead_hours: float | None = None
    preventable: int = 0
    preventable_listed: int = 0
    listed_never_paid: int = 0
    listed_targeted_not_paid: int = 0
    listed_never_contacted: int = 0
    lookalikes_listed: dict[str, int] = field(default_factory=dict)
    largest_misses: list[Ranked] = field(default_factory=list)
    largest_false_alarms: list[Ranked] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def share_before_payment(self) -> float | None:
        return _ratio(self.listed_before_payment, self.victims_in_scope)

    @property
    def share_preventable_listed(self) -> float | None:
        return _ratio(self.preventable_listed, self.preventable)

    def to_json(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "median_lead_hours": _r(self.median_lead_hours),
            "share_before_payment": _r(self.share_before_payment),
            "share_preventable_listed": _r(self.share_preventable_listed),
        }


@dataclass
class Evaluation:
    truth_dir: str
    warehouse: str
    as_of: str
    findings: list[Finding]
    warning: WarningEval

    def finding(self, name: str) -> Finding:
        return next(f for f in self.findings if f.name == name)

    def to_json(self) -> dict[str, Any]:
        return {
            "truth_dir": self.truth_dir,
            "warehouse": self.warehouse,
            "as_of": self.as_of,
            "findings": {f.name: f.to_json() for f in self.findings},
            "warning_targets": self.warning.to_json(),
        }


def _r(x: float | None) -> float | None:
    """Six decimals in JSON: long float digit runs would look like card numbers to `fraudbrain scan-pii`."""
    return None if x is None else round(x, 6)


def _ratio(num: int, den: int) -> float | None:
    return None if den == 0 else num / den


def f1_score(precision: float | None, recall: float | None) -> float | None:
    if precision is None or recall is None:
        return None
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


# ---- ground truth -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Truth:
    world: Row
    gangs: list[Row]
    members: list[Row]
    cards: list[Row]
    sims: list[Row]
    lookalikes: list[Row]
    episodes: list[Row]
    money_path: list[Row]
    cases: list[Row]
    fraud_calls: list[Row]

    @property
    def as_of(self) -> datetime:
        return datetime.fromisoformat(str(self.world["last_day"])) + timedelta(days=1)


def _read_jsonl(path: Path) -> list[Row]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_truth(truth_dir: Path) -> Truth:
    world_file = truth_dir / "world.json"
    if not world_file.exists():
        raise FileNotFoundError(f"no ground truth in {truth_dir} (world.json missing)")
    days = sorted((truth_dir / "days").glob("date=*"))

    def daily(name: str) -> list[Row]:
        return [r for d in days for r in _read_jsonl(d / f"{name}.jsonl")]

    return Truth(
        world=json.loads(world_file.read_text(encoding="utf-8")),
        gangs=_read_jsonl(truth_dir / "gangs.jsonl"),
        members=_read_jsonl(truth_dir / "gang_members.jsonl"),
        cards=_read_jsonl(truth_dir / "planted_cards.jsonl"),
        sims=_read_jsonl(truth_dir / "planted_sims.jsonl"),
        lookalikes=_read_jsonl(truth_dir / "lookalikes.jsonl"),
        episodes=daily("episodes"),
        money_path=daily("money_path"),
        cases=daily("cases"),
        fraud_calls=daily("fraud_calls"),
    )


@dataclass(frozen=True)
class Tokens:
    """Canonicalise (flows.privacy.pii) then tokenise a clear identifier of the truth; None when empty."""

    key: str

    def id(self, value: object) -> str | None:
        return self._tok("id", normalise_id(None if value is None else str(value)))

    def phone(self, value: object) -> str | None:
        return self._tok("phone", normalise_phone(None if value is None else str(value)))

    def card(self, value: object) -> str | None:
        return self._tok("card", normalise_card(None if value is None else str(value)))

    def _tok(self, kind: str, canonical: str | None) -> str | None:
        return None if canonical is None else token(self.key, kind, canonical)


# ---- the published marts ------------------------------------------------------------------------------


class Marts:
    """Read access to ``marts.*`` of the published warehouse; a missing table or column reads as None."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self.columns: dict[str, set[str]] = defaultdict(set)
        rows = con.execute(
            "select table_name, column_name from information_schema.columns where table_schema = 'marts'"
        ).fetchall()
        for table, column in rows:
            self.columns[str(table)].add(str(column))

    def missing(self, table: str, columns: Iterable[str]) -> str | None:
        """Why the mart cannot be read: ``not built`` or the missing columns; None when it can."""
        if table not in self.columns:
            return f"marts.{table} not built"
        lacking = sorted(set(columns) - self.columns[table])
        return f"marts.{table} lacks {', '.join(lacking)}" if lacking else None

    def has(self, table: str, column: str) -> bool:
        return column in self.columns.get(table, set())

    def rows(self, table: str, columns: list[str]) -> list[tuple[Any, ...]]:
        """The named columns of a mart (``NULL`` reads as a constant null column)."""
        cols = ", ".join(c if c == "NULL" else f'"{c}"' for c in columns)
        return self._con.execute(f'select {cols} from marts."{table}"').fetchall()


# ---- scoring ------------------------------------------------------------------------------------------


def _top(weights: Mapping[str, float], keys: Iterable[str]) -> list[Ranked]:
    ranked = sorted(keys, key=lambda k: (-weights.get(k, 0.0), k))
    return [Ranked(k, round(float(weights.get(k, 0.0)), 2)) for k in ranked[:TOP_N]]


def _kinds_count(keys: Iterable[str | None], kinds_of: Mapping[str, set[str]]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for k in keys:
        for kind in kinds_of.get(k or "", set()):
            counts[kind] += 1
    return dict(sorted(counts.items()))


def score_set(
    name: str,
    positives: Mapping[str, float],
    flagged: Mapping[str, float],
    neutral: Iterable[str] = (),
    lookalikes: Mapping[str, set[str]] | None = None,
    person_of: Mapping[str, str | None] | None = None,
) -> Finding:
    """TP/FP/FN of a flagged set against truth positives; neutral keys are neither hits nor false alarms.

    ``positives`` and ``flagged`` map keys to weights (for ranking misses and false alarms). Look-alikes
    are counted among the false alarms, by the person token (``person_of`` maps a card key to its holder).
    """
    pos, flg = set(positives), set(flagged)
    neu = set(neutral) - pos
    false_alarms = flg - pos - neu
    misses = pos - flg
    persons = (person_of or {}).get
    return Finding(
        name=name,
        kind="set",
        true_positives=len(flg & pos),
        false_positives=len(false_alarms),
        false_negatives=len(misses),
        neutral_flagged=len(flg & neu),
        lookalikes_flagged=_kinds_count(
            (persons(k) if person_of is not None else k for k in false_alarms), lookalikes or {}
        ),
        largest_misses=_top(positives, misses),
        largest_false_alarms=_top(flagged, false_alarms),
    )


def _pairs(groups: Mapping[str, Iterable[str]], universe: set[str]) -> dict[tuple[str, str], set[str]]:
    """Unordered pairs of distinct universe items sharing a group → the groups they share."""
    members: dict[str, set[str]] = defaultdict(set)
    for item, item_groups in groups.items():
        if item in universe:
            for g in item_groups:
                members[g].add(item)
    pairs: dict[tuple[str, str], set[str]] = defaultdict(set)
    for g, items in members.items():
        for a, b in combinations(sorted(items), 2):
            pairs[(a, b)].add(g)
    return pairs


def score_pairs(name: str, truth_groups: Mapping[str, set[str]], mart_group: Mapping[str, str]) -> Finding:
    """Pairwise co-membership over the items both sides know; misses/false alarms ranked by group."""
    universe = set(truth_groups) & set(mart_group)
    truth_pairs = _pairs(truth_groups, universe)
    mart_pairs = _pairs({k: {v} for k, v in mart_group.items()}, universe)
    missed = set(truth_pairs) - set(mart_pairs)
    false = set(mart_pairs) - set(truth_pairs)
    missed_by_group: dict[str, float] = defaultdict(float)
    for p in missed:
        for g in truth_pairs[p]:
            missed_by_group[g] += 1
    false_by_group: dict[str, float] = defaultdict(float)
    for p in false:
        for g in mart_pairs[p]:
            false_by_group[g] += 1
    return Finding(
        name=name,
        kind="pairs",
        true_positives=len(set(truth_pairs) & set(mart_pairs)),
        false_positives=len(false),
        false_negatives=len(missed),
        largest_misses=_top(missed_by_group, missed_by_group),
        largest_false_alarms=_top(false_by_group, false_by_group),
        miss_weight="truth group: pairs split apart",
        alarm_weight="mart group: pairs joined wrongly",
        notes=[
            f"{len(universe)} items in both; {len(set(truth_groups) - universe)} truth items not in the mart, "
            f"{len(set(mart_group) - universe)} mart items not in the truth"
        ],
    )


def not_built(name: str, kind: Literal["set", "pairs"], why: str) -> Finding:
    return Finding(name=name, kind=kind, built=False, notes=[why])


# ---- truth sets ---------------------------------------------------------------------------------------


def _active_gangs(t: Truth) -> set[str]:
    last_day = str(t.world["last_day"])
    return {str(g["gang_id"]) for g in t.gangs if str(g.get("active_from") or "") <= last_day}


def _lookalike_kinds(t: Truth, ident: Callable[[Row], str | None]) -> dict[str, set[str]]:
    kinds: dict[str, set[str]] = defaultdict(set)
    for la in t.lookalikes:
        key = ident(la)
        if key:
            kinds[key].add(str(la["kind"]))
    return kinds


def _gang_cases(t: Truth) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for c in t.cases:
        counts[str(c["gang_id"])] += 1
    return counts


def _money_received(t: Truth, tk: Tokens) -> dict[str, float]:
    received: dict[str, float] = defaultdict(float)
    for m in t.money_path:
        card = tk.card(m.get("to_card"))
        if card:
            received[card] += float(m.get("amount") or 0)
    return received


# ---- finding types ------------------------------------------------------------------------------------


def eval_two_card(t: Truth, tk: Tokens, marts: Marts, id_kinds: Mapping[str, set[str]]) -> Finding:
    name = "two-card suppliers"
    why = marts.missing("two_card_leads", ["id_token", "score"])
    if why:
        return not_built(name, "set", why)
    active = _active_gangs(t)
    weight: dict[str, float] = defaultdict(float)
    for m in t.members:
        if m["gang_id"] in active and m["role"] == "card_supplier" and (k := tk.id(m["id_no"])):
            weight.setdefault(k, 0.0)
    for c in t.cards:
        if c["gang_id"] in active and c["role"] in SUPPLIER_CARD_ROLES and (k := tk.id(c["holder_id_no"])):
            weight[k] += 1
    for s in t.sims:
        if s["gang_id"] in active and (k := tk.id(s["supplier_id_no"])):
            weight[k] += 1
    neutral = {k for m in t.members if (k := tk.id(m["id_no"]))}
    flagged = _flagged(marts.rows("two_card_leads", ["id_token", "score"]))
    f = score_set(name, weight, flagged, neutral, id_kinds)
    f.miss_weight, f.alarm_weight = "planted first-hop cards + SIMs", "score"
    return f


def _flagged(rows: Iterable[tuple[Any, ...]]) -> dict[str, float]:
    """Distinct non-null keys of a mart with their largest weight."""
    out: dict[str, float] = {}
    for key, w in rows:
        if key is not None:
            out[str(key)] = max(out.get(str(key), float("-inf")), float(w or 0))
    return out


def eval_gang_members(t: Truth, tk: Tokens, marts: Marts, id_kinds: Mapping[str, set[str]]) -> Finding:
    name = "gang members"
    why = marts.missing("gangs", ["id_token", "cases"])
    if why:
        return not_built(name, "set", why)
    active, cases = _active_gangs(t), _gang_cases(t)
    positives = {
        k: float(cases.get(m["gang_id"], 0)) for m in t.members if m["gang_id"] in active and (k := tk.id(m["id_no"]))
    }
    not_active = {k for m in t.members if m["gang_id"] not in active and (k := tk.id(m["id_no"]))}
    flagged = _flagged(marts.rows("gangs", ["id_token", "cases"]))
    f = score_set(name, positives, flagged, not_active, id_kinds)
    f.miss_weight, f.alarm_weight = "truth cases of the gang", "cases"
    f.notes += _untraceable_callers_note(t, tk, active, set(flagged))
    return f


def _untraceable_callers_note(t: Truth, tk: Tokens, active: set[str], flagged: set[str]) -> list[str]:
    """Callers whose own SIM never sat in a gang handset leave no trace in the data (truth field
    ``own_sim_in_gang_handset``, absent in older truth): how many of the misses they are, and the recall over
    the members the data can show. The recall above stays the one over every member."""
    members = [(m, tk.id(m["id_no"])) for m in t.members if m["gang_id"] in active]
    if not any("own_sim_in_gang_handset" in m for m, _ in members):
        return []
    hidden = {k for m, k in members if k and m.get("own_sim_in_gang_handset") is False}
    traceable = {k for _, k in members if k} - hidden
    missed_hidden = len(hidden - flagged)
    found = len(traceable & flagged)
    recall = f"{found / len(traceable):.3f}" if traceable else "n/a"
    return [
        f"{missed_hidden} of the misses are callers whose own SIM never sat in a gang handset (no trace in the "
        f"data); recall over the other members: {recall} ({found} of {len(traceable)})"
    ]


def eval_gang_pairs(t: Truth, tk: Tokens, marts: Marts) -> Finding:
    name = "gang assignment (pairs)"
    why = marts.missing("gangs", ["id_token", "gang_id"])
    if why:
        return not_built(name, "pairs", why)
    active = _active_gangs(t)
    truth_groups: dict[str, set[str]] = defaultdict(set)
    for m in t.members:
        if m["gang_id"] in active and (k := tk.id(m["id_no"])):
            truth_groups[k].add(str(m["gang_id"]))
    mart_group = {str(k): str(g) for k, g in marts.rows("gangs", ["id_token", "gang_id"]) if k is not None}
    return score_pairs(name, truth_groups, mart_group)


def eval_mules(t: Truth, tk: Tokens, marts: Marts, id_kinds: Mapping[str, set[str]]) -> Finding:
    name = "mule cards"
    why = marts.missing("mule_accounts", ["card_token", "traced_case_amount"])
    if why:
        return not_built(name, "set", why)
    received = _money_received(t, tk)
    positives: dict[str, float] = {}
    neutral: set[str] = set()
    for c in t.cards:
        k = tk.card(c["card_no"])
        if not k:
            continue
        if c["role"] in MULE_ROLES and k in received:
            positives[k] = received[k]
        else:
            neutral.add(k)
    holder_col = marts.has("mule_accounts", "holder_id_token")
    cols = ["card_token", "traced_case_amount"] + (["holder_id_token"] if holder_col else [])
    rows = marts.rows("mule_accounts", cols)
    holders = {str(r[0]): (None if r[2] is None else str(r[2])) for r in rows if r[0] is not None} if holder_col else {}
    f = score_set(name, positives, _flagged(r[:2] for r in rows), neutral, id_kinds, holders)
    f.miss_weight, f.alarm_weight = "victims' money received", "traced_case_amount"
    unused = sum(1 for c in t.cards if c["role"] in MULE_ROLES and tk.card(c["card_no"]) not in received)
    f.notes.append(f"{unused} planted mule/collector cards never received money by last_day (neutral)")
    if not holder_col:
        f.notes.append("marts.mule_accounts has no holder_id_token: look-alikes not counted")
    return f


def eval_case_pairs(t: Truth, marts: Marts) -> Finding:
    name = "case clusters (pairs)"
    why = marts.missing("case_clusters", ["case_no", "cluster_id"])
    if why:
        return not_built(name, "pairs", why)
    truth_groups: dict[str, set[str]] = defaultdict(set)
    for c in t.cases:
        truth_groups[str(c["case_no"]).strip()].add(str(c["gang_id"]))
    mart_group = {
        str(c).strip(): str(g) for c, g in marts.rows("case_clusters", ["case_no", "cluster_id"]) if c is not None
    }
    return score_pairs(name, truth_groups, mart_group)


def _open_cases(t: Truth) -> tuple[dict[str, str], set[str]]:
    """Open truth cases (case_no → episode_id) and the case numbers solved by as_of."""
    solved_at = {str(e["episode_id"]): e.get("solved_at") for e in t.episodes}
    as_of = t.as_of
    open_cases: dict[str, str] = {}
    solved: set[str] = set()
    for c in t.cases:
        case_no, ep = str(c["case_no"]).strip(), str(c["episode_id"])
        when = solved_at.get(ep)
        if when is not None and datetime.fromisoformat(str(when)) < as_of:
            solved.add(case_no)
        else:
            open_cases[case_no] = ep
    return open_cases, solved


def eval_stop_payments(t: Truth, tk: Tokens, marts: Marts, id_kinds: Mapping[str, set[str]]) -> Finding:
    name = "stop-payment targets"
    why = marts.missing("stop_payment_targets", ["case_no", "card_token", "traced_amount"])
    if why:
        return not_built(name, "set", why)
    open_cases, solved = _open_cases(t)
    cases_of_episode: dict[str, list[str]] = defaultdict(list)
    for case_no, ep in open_cases.items():
        cases_of_episode[ep].append(case_no)
    positives: dict[str, float] = defaultdict(float)
    for m in t.money_path:
        card = tk.card(m.get("to_card"))
        for case_no in cases_of_episode.get(str(m["episode_id"]), []) if card else []:
            positives[f"{case_no}:{card}"] += float(m.get("amount") or 0)
    holder_col = marts.has("stop_payment_targets", "holder_id_token")
    cols = ["case_no", "card_token", "traced_amount"] + (["holder_id_token"] if holder_col else [])
    rows = [r for r in marts.rows("stop_payment_targets", cols) if r[0] is not None and r[1] is not None]
    keyed = [(f"{str(r[0]).strip()}:{r[1]}", *r[2:]) for r in rows]
    neutral = {k for k, *_ in keyed if k.split(":", 1)[0] in solved}
    holders = {r[0]: (None if r[2] is None else str(r[2])) for r in keyed} if holder_col else None
    flagged = _flagged(r[:2] for r in keyed)
    f = score_set(name, positives, flagged, neutral, id_kinds, holders)
    f.miss_weight, f.alarm_weight = "money that reached the card", "traced_amount"
    f.notes.append(f"{len(open_cases)} open cases in the truth, {len(solved)} solved by as_of")
    planted = {k for c in t.cards if (k := tk.card(c["card_no"]))}
    gang_cards = sum(1 for k in set(flagged) - set(positives) - neutral if k.split(":", 1)[1] in planted)
    f.notes.append(f"{gang_cards} of the false alarms are planted gang cards reached by other cases' money")
    return f


# ---- warning targets ----------------------------------------------------------------------------------


def _naive_local(value: Any) -> datetime | None:
    if value is None:
        return None
    dt = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return dt.astimezone(LOCAL_TZ).replace(tzinfo=None) if dt.tzinfo else dt


@dataclass(frozen=True)
class _Victim:
    phone: str
    first_paid: datetime
    paid: float


def _gang_calls(t: Truth, tk: Tokens) -> dict[str, list[datetime]]:
    calls: dict[str, list[datetime]] = defaultdict(list)
    for c in t.fraud_calls:
        if (k := tk.phone(c.get("callee"))) and (at := _naive_local(c.get("start_time"))):
            calls[k].append(at)
    for e in t.episodes:
        if (k := tk.phone(e.get("victim_phone"))) and (at := _naive_local(e.get("first_call_at"))):
            calls[k].append(at)
    return calls


def _victims_in_scope(t: Truth, tk: Tokens, start: datetime, as_of: datetime) -> list[_Victim]:
    calls = _gang_calls(t, tk)
    best: dict[str, _Victim] = {}
    for e in t.episodes:
        phone = tk.phone(e.get("victim_phone"))
        paid_at = [d for p in e.get("payments") or [] if (d := _naive_local(p.get("paid_at")))]
        if e.get("outcome") != "paid" or not phone or not paid_at:
            continue
        reported = _naive_local(e.get("reported_at"))
        first = min(paid_at)
        if first <= start or (reported is not None and reported <= as_of):
            continue
        if not any(start < c <= as_of for c in calls.get(phone, [])):
            continue
        amount = sum(float(p.get("amount") or 0) for p in e.get("payments") or [])
        if phone not in best or first < best[phone].first_paid:
            best[phone] = _Victim(phone, first, amount)
    return list(best.values())


def eval_warnings(t: Truth, tk: Tokens, marts: Marts, phone_kinds: Mapping[str, set[str]]) -> WarningEval:
    as_of = t.as_of
    start = as_of - timedelta(hours=WARNING_LOOKBACK_HOURS)
    w = WarningEval(window_start=start.isoformat(sep=" "), as_of=as_of.isoformat(sep=" "))
    why = marts.missing("warning_targets", ["phone_token"])
    if why:
        w.built, w.notes = False, [why]
        return w
    w.has_time = marts.has("warning_targets", "first_contact_at")
    risk = marts.has("warning_targets", "risk_score")
    cols = ["phone_token", "first_contact_at" if w.has_time else "NULL", "risk_score" if risk else "NULL"]
    listed: dict[str, tuple[datetime | None, float]] = {}
    for phone, first, score in marts.rows("warning_targets", cols):
        if phone is None:
            continue
        at, before = _naive_local(first), listed.get(str(phone))
        if before is None or (at is not None and (before[0] is None or at < before[0])):
            listed[str(phone)] = (at, float(score or 0))  # a phone listed twice: its earliest contact
    if not w.has_time:
        w.notes.append("marts.warning_targets has no first_contact_at: recall only (listed at all), no lead time")
    w.listed = len(listed)
    _score_victims(w, _victims_in_scope(t, tk, start, as_of), listed, as_of)
    _score_listed(w, t, tk, listed, phone_kinds)
    return w


def _score_victims(
    w: WarningEval, victims: list[_Victim], listed: Mapping[str, tuple[datetime | None, float]], as_of: datetime
) -> None:
    leads: list[float] = []
    missed: dict[str, float] = {}
    for v in victims:
        entry = listed.get(v.phone)
        on_time = entry is not None and (not w.has_time or (entry[0] is not None and entry[0] < v.first_paid))
        if on_time and entry is not None and entry[0] is not None:
            leads.append((v.first_paid - entry[0]).total_seconds() / 3600)
        if not on_time:
            missed[v.phone] = v.paid
        w.listed_before_payment += on_time
        if v.first_paid > as_of:
            w.preventable += 1
            w.preventable_listed += entry is not None
    w.victims_in_scope = len(victims)
    w.median_lead_hours = statistics.median(leads) if leads and w.has_time else None
    w.largest_misses = _top(missed, missed)


def _score_listed(
    w: WarningEval,
    t: Truth,
    tk: Tokens,
    listed: Mapping[str, tuple[datetime | None, float]],
    phone_kinds: Mapping[str, set[str]],
) -> None:
    payers = {k for e in t.episodes if e.get("outcome") == "paid" and (k := tk.phone(e.get("victim_phone")))}
    targeted = set(_gang_calls(t, tk))
    never_paid = set(listed) - payers
    never_contacted = never_paid - targeted
    w.listed_never_paid = len(never_paid)
    w.listed_targeted_not_paid = len(never_paid & targeted)
    w.listed_never_contacted = len(never_contacted)
    w.lookalikes_listed = _kinds_count(never_contacted, phone_kinds)
    w.largest_false_alarms = _top({k: listed[k][1] for k in never_contacted}, never_contacted)


# ---- entry points -------------------------------------------------------------------------------------


def evaluate(truth_dir: Path, warehouse: Path, pii_key: str) -> Evaluation:
    """Score every finding type of the published warehouse against the ground truth (no printing)."""
    truth = load_truth(Path(truth_dir))
    if not Path(warehouse).exists():
        raise FileNotFoundError(f"no published warehouse at {warehouse}")
    tk = Tokens(pii_key)
    id_kinds = _lookalike_kinds(truth, lambda r: tk.id(r.get("id_no")))
    phone_kinds = _lookalike_kinds(truth, lambda r: tk.phone(r.get("phone")))
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        marts = Marts(con)
        findings = [
            eval_two_card(truth, tk, marts, id_kinds),
            eval_gang_members(truth, tk, marts, id_kinds),
            eval_gang_pairs(truth, tk, marts),
            eval_mules(truth, tk, marts, id_kinds),
            eval_case_pairs(truth, marts),
            eval_stop_payments(truth, tk, marts, id_kinds),
        ]
        warning = eval_warnings(truth, tk, marts, phone_kinds)
    finally:
        con.close()
    return Evaluation(str(truth_dir), str(warehouse), truth.as_of.isoformat(sep=" "), findings, warning)


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def _kinds(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items()) or "none"


def _weight(x: float) -> str:
    return f"{x:,.0f}" if x == int(x) else f"{x:,.2f}"


def render(ev: Evaluation, console: Any) -> None:
    """Rich tables: the scores per finding type, then the largest misses and false alarms, then warnings."""
    from rich.table import Table

    summary = Table(title=f"Detection vs ground truth (as of {ev.as_of})")
    for col in ("finding", "TP", "FP", "FN", "neutral", "precision", "recall", "F1", "look-alikes flagged"):
        summary.add_column(col, justify="left" if col in ("finding", "look-alikes flagged") else "right")
    for f in ev.findings:
        if not f.built:
            summary.add_row(f.name, "", "", "", "", "", "", "[yellow]not built[/yellow]", "; ".join(f.notes))
            continue
        summary.add_row(
            f.name,
            str(f.true_positives),
            str(f.false_positives),
            str(f.false_negatives),
            str(f.neutral_flagged) if f.kind == "set" else "",
            _fmt(f.precision),
            _fmt(f.recall),
            _fmt(f.f1),
            _kinds(f.lookalikes_flagged) if f.kind == "set" else "",
        )
    console.print(summary)
    for f in ev.findings:
        if f.built:
            _render_lists(console, f.name, f.largest_misses, f.largest_false_alarms, f.miss_weight, f.alarm_weight)
            for note in f.notes:
                console.print(f"  [dim]{f.name}: {note}[/dim]")
    _render_warning(ev.warning, console)


def _render_lists(
    console: Any, name: str, misses: list[Ranked], alarms: list[Ranked], miss_w: str, alarm_w: str
) -> None:
    from rich.table import Table

    if not misses and not alarms:
        return
    table = Table(title=f"{name}: largest misses and false alarms", title_justify="left")
    table.add_column(f"miss ({miss_w})" if miss_w else "miss")
    table.add_column("weight", justify="right")
    table.add_column(f"false alarm ({alarm_w})" if alarm_w else "false alarm")
    table.add_column("weight", justify="right")
    for i in range(max(len(misses), len(alarms))):
        m = misses[i] if i < len(misses) else None
        a = alarms[i] if i < len(alarms) else None
        table.add_row(
            m.key if m else "", _weight(m.weight) if m else "", a.key if a else "", _weight(a.weight) if a else ""
        )
    console.print(table)


def _render_warning(w: WarningEval, console: Any) -> None:
    from rich.table import Table

    table = Table(title="Warning targets", caption=f"list window ({w.window_start}, {w.as_of}]", show_header=False)
    if not w.built:
        table.add_row("status", "[yellow]not built[/yellow]: " + "; ".join(w.notes))
        console.print(table)
        return
    lead = "—" if w.median_lead_hours is None else f"{w.median_lead_hours:.1f} h"
    rows = [
        ("people listed", str(w.listed)),
        ("paying victims in scope", str(w.victims_in_scope)),
        ("on the list before their first payment", f"{w.listed_before_payment} ({_fmt(w.share_before_payment)})"),
        ("median lead time", lead),
        ("still preventable at as_of (pay later)", f"{w.preventable}, listed {w.preventable_listed}"),
        ("listed people who never paid", str(w.listed_never_paid)),
        ("  of whom targeted by a gang", str(w.listed_targeted_not_paid)),
        ("  of whom never contacted by a gang", str(w.listed_never_contacted)),
        ("innocent look-alikes listed", _kinds(w.lookalikes_listed)),
    ]
    for k, v in rows:
        table.add_row(k, v)
    console.print(table)
    _render_lists(console, "warning targets", w.largest_misses, w.largest_false_alarms, "amount paid", "risk_score")
    for note in w.notes:
        console.print(f"  [dim]warning targets: {note}[/dim]")


def to_json_text(ev: Evaluation) -> str:
    return json.dumps(ev.to_json(), ensure_ascii=False, indent=1, default=_jsonable)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
