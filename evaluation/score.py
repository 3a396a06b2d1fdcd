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
* mule cards: P = card tokens of planted cards with role ``first_hop`` (一级卡, the card the victim paid into:
  police treat it as a mule account first of all), ``mule`` or ``collector`` (the mule card that gathers the
  money) that received victims' money on the truth ``money_path`` by ``last_day``; N = planted cards that
  never carried money. F = ``marts.mule_accounts.card_token``. Weight of a miss: money received on the path;
  of a false alarm: ``traced_case_amount``.
* case clusters: pairs of truth cases (``cases.jsonl``) of the same gang vs pairs with the same
  ``marts.case_clusters.cluster_id``; cases matched by trimmed ``case_no`` (never tokenised).
* stop-payment targets: key = (case_no, card token). P = for each case open at ``as_of`` (its episode's
  ``solved_at`` null or later), every non-null ``to_card`` of its episode's ``money_path`` (victim payment
  and mule hops; the cash-out hop has no card). N = mart rows of truth cases that are solved by
  ``as_of``. F = ``marts.stop_payment_targets (case_no, card_token)``. Weights: amount that reached the
  card / ``traced_amount``.
* warning targets, precision and size: a listed person is *contacted* when a number the truth marks as
  fraudulent (a ``fraud_calls`` caller: gang SIM, foreign or network number) called them, or an episode's
  first call reached them, at or before the publish time of that list. Precision = contacted / listed, summed
  over the lists scored; size = mean list rows per 10,000 residents (``world.people``) per publish (a day with
  daily publishes).
* warning targets, recall before first payment: with per-publish snapshots (``--warning-snapshots DIR``,
  files written by ``save_warning_snapshot`` after each run), a paying victim whose first payment falls after
  the first publish and by ``as_of`` is on time when a list published *before* that payment holds its phone;
  without snapshots the figure comes from the one final build (upper bound, below).
* warning targets, one build: the mart is a snapshot of people called by fraud-tied numbers in the
  ``WARNING_LOOKBACK_HOURS`` before ``as_of``. Victims in scope: victim phones of ``paid`` episodes that a
  gang called in that window (``fraud_calls`` or ``first_call_at``), whose first payment is after the
  window start and who had not reported by ``as_of``. A victim is on the list in time when its phone token
  is in ``marts.warning_targets.phone_token`` with ``first_contact_at`` before its first payment (without
  a time column: listed at all, and the lead time is not reported). Lead time = first payment −
  ``first_contact_at`` (hours; median over the victims on time; the list is published by the next run, so
  this is an upper bound). Preventable = victims in scope whose first payment is after ``as_of``. Listed
  never paid = listed phones of no ``paid`` episode, split into targeted (a gang called them: cold-call
  or hooked and did not pay) and never contacted by a gang.
* recall per typology: every finding also reports, for each typology the truth records (gang shape =
  recruitment and one or two cities, supplier opening shape, member role, card role, laundering typology,
  fraud type), the positives of that typology and how many were found; look-alikes flagged are reported
  against the number of look-alikes of each kind.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from itertools import combinations, pairwise
from pathlib import Path
from typing import Any, Literal

import duckdb

from flows.privacy.pii import token
from rules.identifiers import normalise_card, normalise_id, normalise_phone

TOP_N = 5
WARNING_LOOKBACK_HOURS = 48
MULE_ROLES = frozenset({"first_hop", "mule", "collector"})
SUPPLIER_CARD_ROLES = frozenset({"first_hop"})
LOCAL_TZ = timezone(timedelta(hours=8))

Row = dict[str, Any]
Labels = Mapping[str, Iterable[tuple[str, str]]]  # key -> its (typology dimension, typology) labels
SNAPSHOT_GLOB = "warnings-*.json"


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
    by_typology: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

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
    # precision, size and recall before first payment (over the per-publish snapshots, or the one build)
    recall_source: str = "one build (upper bound)"
    publishes: int = 1
    residents: int = 0
    lists_rows: int = 0
    lists_rows_contacted: int = 0
    list_per_10k_day: float | None = None
    recall_victims: int = 0
    recall_on_time: int = 0
    recall_unreachable: int = 0
    by_typology: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    # the one (final) build
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
    def precision(self) -> float | None:
        """Listed people a truth fraud number had contacted by the list's publish time, over all listed."""
        return _ratio(self.lists_rows_contacted, self.lists_rows)

    @property
    def recall_before_payment(self) -> float | None:
        return _ratio(self.recall_on_time, self.recall_victims)

    @property
    def share_preventable_listed(self) -> float | None:
        return _ratio(self.preventable_listed, self.preventable)

    def to_json(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "median_lead_hours": _r(self.median_lead_hours),
            "list_per_10k_day": _r(self.list_per_10k_day),
            "precision": _r(self.precision),
            "recall_before_payment": _r(self.recall_before_payment),
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
    lookalikes: dict[str, int] = field(default_factory=dict)  # look-alike people per kind (the denominators)

    def finding(self, name: str) -> Finding:
        return next(f for f in self.findings if f.name == name)

    def to_json(self) -> dict[str, Any]:
        return {
            "truth_dir": self.truth_dir,
            "warehouse": self.warehouse,
            "as_of": self.as_of,
            "findings": {f.name: f.to_json() for f in self.findings},
            "warning_targets": self.warning.to_json(),
            "lookalikes": self.lookalikes,
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

    @property
    def people(self) -> int:
        return int(self.world.get("people") or 0)


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
    labels: Labels | None = None,
) -> Finding:
    """TP/FP/FN of a flagged set against truth positives; neutral keys are neither hits nor false alarms.

    ``positives`` and ``flagged`` map keys to weights (for ranking misses and false alarms). Look-alikes
    are counted among the false alarms, by the person token (``person_of`` maps a card key to its holder).
    ``labels`` gives the typologies of the positives: recall per typology.
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
        by_typology=recall_by(pos, flg, labels or {}),
    )


def recall_by(positives: Iterable[str], found: Iterable[str], labels: Labels) -> dict[str, dict[str, dict[str, Any]]]:
    """Recall per typology: for each dimension and typology, the positives carrying it and how many were found."""
    hit = set(found)
    counts: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for k in set(positives):
        for dim, label in set(labels.get(k, ())):
            c = counts[dim][label]
            c[0] += 1
            c[1] += k in hit
    return {
        dim: {label: {"positives": n, "found": f, "recall": _r(_ratio(f, n))} for label, (n, f) in sorted(v.items())}
        for dim, v in sorted(counts.items())
    }


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


def score_pairs(
    name: str,
    truth_groups: Mapping[str, set[str]],
    mart_group: Mapping[str, str],
    group_labels: Labels | None = None,
) -> Finding:
    """Pairwise co-membership over the items both sides know; misses/false alarms ranked by group.

    ``group_labels`` gives the typologies of a truth group: pair recall per typology (a pair counts under
    the typologies of the groups it shares)."""
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
    gl = group_labels or {}
    pair_labels = {"|".join(p): [lab for g in groups for lab in gl.get(g, ())] for p, groups in truth_pairs.items()}
    return Finding(
        name=name,
        kind="pairs",
        true_positives=len(set(truth_pairs) & set(mart_pairs)),
        false_positives=len(false),
        false_negatives=len(missed),
        largest_misses=_top(missed_by_group, missed_by_group),
        largest_false_alarms=_top(false_by_group, false_by_group),
        by_typology=recall_by(pair_labels, ("|".join(p) for p in mart_pairs), pair_labels),
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


def gang_shapes(t: Truth) -> dict[str, str]:
    """gang_id → its shape: the truth's ``shape`` when it records one, else recruitment and one or two cities."""
    out = {}
    for g in t.gangs:
        cities = "two cities" if g.get("second_region") else "one city"
        out[str(g["gang_id"])] = str(g.get("shape") or f"{g.get('recruitment') or 'unknown'}, {cities}")
    return out


def supplier_shapes(t: Truth, tk: Tokens) -> dict[str, str]:
    """Supplier ID token → how its gang cards were opened: away from home or near it (the majority of its
    first-hop cards in a region other than its ``home_region``; left out when the truth lacks it), several on
    one day or one a day; ``SIMs only`` / ``nothing planted`` without first-hop cards. A ``shape`` the truth
    records for the member wins."""
    home = {k: str(m["home_region"]) for m in t.members if m.get("home_region") and (k := tk.id(m["id_no"]))}
    explicit = {k: str(m["shape"]) for m in t.members if m.get("shape") and (k := tk.id(m["id_no"]))}
    cards: dict[str, list[Row]] = defaultdict(list)
    for c in t.cards:
        if c["role"] in SUPPLIER_CARD_ROLES and (k := tk.id(c["holder_id_no"])):
            cards[k].append(c)
    sims = {k for s in t.sims if (k := tk.id(s["supplier_id_no"]))}
    out: dict[str, str] = {}
    for k in set(cards) | sims | {k for m in t.members if m["role"] == "card_supplier" and (k := tk.id(m["id_no"]))}:
        own = cards.get(k, [])
        if k in explicit:
            out[k] = explicit[k]
        elif not own:
            out[k] = "SIMs only" if k in sims else "nothing planted"
        else:
            per_day = max(Counter(str(c.get("opened_at") or "")[:10] for c in own).values())
            when = "several cards on one day" if per_day >= 2 else "one card a day"
            away = sum(str(c.get("region_code")) != home[k] for c in own) * 2 > len(own) if k in home else None
            where = "" if away is None else ("away from home, " if away else "near home, ")
            out[k] = where + when
    return out


def _card_labels(t: Truth, tk: Tokens, shapes: Mapping[str, str]) -> dict[str, list[tuple[str, str]]]:
    """Card token → card role, gang shape and the laundering typologies of the money that reached it."""
    labels: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for c in t.cards:
        if k := tk.card(c["card_no"]):
            labels[k] += [("card role", str(c["role"])), ("gang shape", shapes.get(str(c["gang_id"]), "unknown"))]
    for m in t.money_path:
        if (k := tk.card(m.get("to_card"))) and m.get("typology"):
            labels[k].append(("laundering typology", str(m["typology"])))
    return labels


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
    shapes, supplier = gang_shapes(t), supplier_shapes(t, tk)
    gang_of = {k: str(m["gang_id"]) for m in t.members if (k := tk.id(m["id_no"]))}
    gang_of |= {k: str(c["gang_id"]) for c in t.cards if (k := tk.id(c["holder_id_no"])) and k not in gang_of}
    gang_of |= {k: str(s["gang_id"]) for s in t.sims if (k := tk.id(s["supplier_id_no"])) and k not in gang_of}
    labels = {
        k: [("supplier shape", supplier.get(k, "unknown")), ("gang shape", shapes.get(gang_of.get(k, ""), "unknown"))]
        for k in weight
    }
    f = score_set(name, weight, flagged, neutral, id_kinds, labels=labels)
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
    shapes = gang_shapes(t)
    labels: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for m in t.members:
        if m["gang_id"] in active and (k := tk.id(m["id_no"])):
            role = str(m["role"])
            if role == "caller" and "own_sim_in_gang_handset" in m:
                role += " (own SIM in a gang handset)" if m["own_sim_in_gang_handset"] else " (no trace in the data)"
            labels[k] += [
                ("role", role),
                ("recruited via", str(m.get("recruited_via") or "unknown")),
                ("gang shape", shapes.get(str(m["gang_id"]), "unknown")),
            ]
    f = score_set(name, positives, flagged, not_active, id_kinds, labels=labels)
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
    return score_pairs(name, truth_groups, mart_group, _gang_group_labels(t))


def _gang_group_labels(t: Truth) -> dict[str, list[tuple[str, str]]]:
    return {g: [("gang shape", shape)] for g, shape in gang_shapes(t).items()}


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
    labels = _card_labels(t, tk, gang_shapes(t))
    f = score_set(name, positives, _flagged(r[:2] for r in rows), neutral, id_kinds, holders, labels)
    f.miss_weight, f.alarm_weight = "victims' money received", "traced_case_amount"
    unused = sum(1 for c in t.cards if c["role"] in MULE_ROLES and tk.card(c["card_no"]) not in received)
    f.notes.append(f"{unused} planted first-hop/mule/collector cards never received money by last_day (neutral)")
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
    return score_pairs(name, truth_groups, mart_group, _gang_group_labels(t))


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
    shapes = gang_shapes(t)
    gang_of_case = {str(c["case_no"]).strip(): str(c["gang_id"]) for c in t.cases}
    role = {k: str(c["role"]) for c in t.cards if (k := tk.card(c["card_no"]))}
    labels: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for m in t.money_path:
        card = tk.card(m.get("to_card"))
        for case_no in cases_of_episode.get(str(m["episode_id"]), []) if card else []:
            key = f"{case_no}:{card}"
            positives[key] += float(m.get("amount") or 0)
            labels[key] |= {
                ("card role", role.get(card or "", "not planted")),
                ("laundering typology", str(m.get("typology") or "unknown")),
                ("gang shape", shapes.get(gang_of_case.get(case_no, ""), "unknown")),
            }
    holder_col = marts.has("stop_payment_targets", "holder_id_token")
    cols = ["case_no", "card_token", "traced_amount"] + (["holder_id_token"] if holder_col else [])
    rows = [r for r in marts.rows("stop_payment_targets", cols) if r[0] is not None and r[1] is not None]
    keyed = [(f"{str(r[0]).strip()}:{r[1]}", *r[2:]) for r in rows]
    neutral = {k for k, *_ in keyed if k.split(":", 1)[0] in solved}
    holders = {r[0]: (None if r[2] is None else str(r[2])) for r in keyed} if holder_col else None
    flagged = _flagged(r[:2] for r in keyed)
    f = score_set(name, positives, flagged, neutral, id_kinds, holders, labels)
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
    labels: tuple[tuple[str, str], ...] = ()


def _victim_labels(e: Row, shapes: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return (
        ("fraud type", str(e.get("fraud_type") or "unknown")),
        ("gang shape", shapes.get(str(e.get("gang_id")), "unknown")),
    )


@dataclass(frozen=True)
class WarningSnapshot:
    """The warning list one run published: its phone tokens and the time from which it could be used."""

    published_at: datetime
    phones: frozenset[str]
    file: str = ""


def truth_clock(truth_dir: Path) -> datetime:
    """The world's ``as_of`` from ``world.json`` alone: the end of its ``last_day``."""
    world = json.loads((Path(truth_dir) / "world.json").read_text(encoding="utf-8"))
    return datetime.fromisoformat(str(world["last_day"])) + timedelta(days=1)


def save_warning_snapshot(warehouse: Path, folder: Path, published_at: datetime) -> Path:
    """Keep the rows of ``marts.warning_targets`` just published (phone tokens, first contact) in one small
    JSON file of ``folder``, stamped with the time the list became usable (the bench: the end of the day
    loaded). Tokens only; a warehouse without the mart gives a file marked ``built: false``."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        marts = Marts(con)
        built = marts.missing("warning_targets", ["phone_token"]) is None
        first = "first_contact_at" if marts.has("warning_targets", "first_contact_at") else "NULL"
        rows = marts.rows("warning_targets", ["phone_token", first]) if built else []
    finally:
        con.close()
    data = {
        "published_at": published_at.isoformat(sep=" "),
        "table": "marts.warning_targets",
        "built": built,
        "rows": sorted([str(k), None if at is None else str(at)] for k, at in rows if k is not None),
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"warnings-{published_at:%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")
    return path


def load_warning_snapshots(folder: Path) -> list[WarningSnapshot]:
    """The snapshots of a folder (``warnings-*.json``), oldest first; ValueError naming a file that is not one."""
    if not Path(folder).is_dir():
        raise FileNotFoundError(f"no warning snapshot folder at {folder}")
    out = []
    for path in sorted(Path(folder).glob(SNAPSHOT_GLOB)):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not data.get("built", True):
                continue
            at = _naive_local(data["published_at"])
            phones = frozenset(str(r[0]) for r in data["rows"] if r and r[0])
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise ValueError(f"{path}: not a warning snapshot ({type(exc).__name__}: {exc})") from exc
        assert at is not None
        out.append(WarningSnapshot(at, phones, path.name))
    return sorted(out, key=lambda s: s.published_at)


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
    shapes = gang_shapes(t)
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
            best[phone] = _Victim(phone, first, amount, _victim_labels(e, shapes))
    return list(best.values())


def _paying_victims(t: Truth, tk: Tokens, after: datetime, until: datetime) -> list[_Victim]:
    """Victims of ``paid`` episodes whose first payment falls in (after, until], one per phone (earliest)."""
    shapes = gang_shapes(t)
    best: dict[str, _Victim] = {}
    for e in t.episodes:
        phone = tk.phone(e.get("victim_phone"))
        paid_at = [d for p in e.get("payments") or [] if (d := _naive_local(p.get("paid_at")))]
        if e.get("outcome") != "paid" or not phone or not paid_at or not after < min(paid_at) <= until:
            continue
        amount = sum(float(p.get("amount") or 0) for p in e.get("payments") or [])
        if phone not in best or min(paid_at) < best[phone].first_paid:
            best[phone] = _Victim(phone, min(paid_at), amount, _victim_labels(e, shapes))
    return list(best.values())


def _score_lists(
    w: WarningEval, lists: list[tuple[datetime, frozenset[str]]], contacts: Mapping[str, datetime]
) -> None:
    """Precision (listed people a fraud number had contacted by the publish time) and size per 10k residents."""
    w.publishes = len(lists)
    w.lists_rows = sum(len(phones) for _, phones in lists)
    w.lists_rows_contacted = sum(1 for at, phones in lists for k in phones if k in contacts and contacts[k] <= at)
    if w.residents and lists:
        w.list_per_10k_day = w.lists_rows / len(lists) / w.residents * 10_000


def _recall_from_snapshots(
    w: WarningEval, t: Truth, tk: Tokens, snaps: list[WarningSnapshot], contacts: Mapping[str, datetime]
) -> None:
    """Recall before first payment from the lists published before each payment (no look at later lists)."""
    victims = _paying_victims(t, tk, snaps[0].published_at, t.as_of)
    on_time: set[str] = set()
    for v in victims:
        before = [s for s in snaps if s.published_at < v.first_paid]
        if any(v.phone in s.phones for s in before):
            on_time.add(v.phone)
        elif before and contacts.get(v.phone, v.first_paid) > before[-1].published_at:
            w.recall_unreachable += 1  # first contacted after the last list before its payment
    w.recall_victims, w.recall_on_time = len(victims), len(on_time)
    w.by_typology = recall_by((v.phone for v in victims), on_time, {v.phone: v.labels for v in victims})


def _publish_note(snaps: list[WarningSnapshot]) -> str:
    gaps = [(b.published_at - a.published_at).total_seconds() / 86400 for a, b in pairwise(snaps)]
    every = f", every {statistics.median(gaps):g} days (median)" if gaps else ""
    return (
        f"recall before first payment from the {len(snaps)} lists published {snaps[0].published_at} .. "
        f"{snaps[-1].published_at}{every}: paying victims whose first payment falls after the first publish"
    )


def eval_warnings(
    t: Truth,
    tk: Tokens,
    marts: Marts,
    phone_kinds: Mapping[str, set[str]],
    snapshots: list[WarningSnapshot] | None = None,
) -> WarningEval:
    as_of = t.as_of
    start = as_of - timedelta(hours=WARNING_LOOKBACK_HOURS)
    w = WarningEval(window_start=start.isoformat(sep=" "), as_of=as_of.isoformat(sep=" "), residents=t.people)
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
    victims = _victims_in_scope(t, tk, start, as_of)
    on_time = _score_victims(w, victims, listed, as_of)
    _score_listed(w, t, tk, listed, phone_kinds)
    contacts = {k: min(v) for k, v in _gang_calls(t, tk).items()}
    snaps = [s for s in snapshots or [] if s.published_at <= as_of]
    if len(snaps) < len(snapshots or []):
        w.notes.append(f"{len(snapshots or []) - len(snaps)} warning snapshots published after as_of: left out")
    if snaps:
        w.recall_source = f"lists published before each payment ({len(snaps)} publishes)"
        _score_lists(w, [(s.published_at, s.phones) for s in snaps], contacts)
        _recall_from_snapshots(w, t, tk, snaps, contacts)
        w.notes.append(_publish_note(snaps))
    else:
        w.recall_source = "one build (upper bound)"
        _score_lists(w, [(as_of, frozenset(listed))], contacts)
        w.recall_victims, w.recall_on_time = w.victims_in_scope, w.listed_before_payment
        w.by_typology = recall_by((v.phone for v in victims), on_time, {v.phone: v.labels for v in victims})
        w.notes.append(
            "recall before payment from one build (upper bound): the final list against the victims of its "
            "48 h window, on time by first_contact_at; pass --warning-snapshots for the lists as published"
        )
    if not w.residents:
        w.notes.append("world.json has no people count: list size per 10,000 residents not computed")
    return w


def _score_victims(
    w: WarningEval, victims: list[_Victim], listed: Mapping[str, tuple[datetime | None, float]], as_of: datetime
) -> set[str]:
    """The one-build figures; returns the phones listed in time."""
    leads: list[float] = []
    in_time: set[str] = set()
    missed: dict[str, float] = {}
    for v in victims:
        entry = listed.get(v.phone)
        on_time = entry is not None and (not w.has_time or (entry[0] is not None and entry[0] < v.first_paid))
        if on_time and entry is not None and entry[0] is not None:
            leads.append((v.first_paid - entry[0]).total_seconds() / 3600)
        if not on_time:
            missed[v.phone] = v.paid
        else:
            in_time.add(v.phone)
        w.listed_before_payment += on_time
        if v.first_paid > as_of:
            w.preventable += 1
            w.preventable_listed += entry is not None
    w.victims_in_scope = len(victims)
    w.median_lead_hours = statistics.median(leads) if leads and w.has_time else None
    w.largest_misses = _top(missed, missed)
    return in_time


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


def evaluate(truth_dir: Path, warehouse: Path, pii_key: str, warning_snapshots: Path | None = None) -> Evaluation:
    """Score every finding type of the published warehouse against the ground truth (no printing).

    ``warning_snapshots``: a folder of per-publish warning lists (``save_warning_snapshot``) for recall
    before first payment; without it that figure comes from the one build (an upper bound)."""
    truth = load_truth(Path(truth_dir))
    snapshots = load_warning_snapshots(warning_snapshots) if warning_snapshots is not None else None
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
        warning = eval_warnings(truth, tk, marts, phone_kinds, snapshots)
    finally:
        con.close()
    lookalikes = dict(sorted(Counter(str(la["kind"]) for la in truth.lookalikes).items()))
    return Evaluation(str(truth_dir), str(warehouse), truth.as_of.isoformat(sep=" "), findings, warning, lookalikes)


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


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
            _kinds_of(f.lookalikes_flagged, ev.lookalikes) if f.kind == "set" else "",
        )
    console.print(summary)
    _render_typologies(ev, console)
    for f in ev.findings:
        if f.built:
            _render_lists(console, f.name, f.largest_misses, f.largest_false_alarms, f.miss_weight, f.alarm_weight)
            for note in f.notes:
                console.print(f"  [dim]{f.name}: {note}[/dim]")
    _render_warning(ev.warning, console, ev.lookalikes)


def _kinds_of(flagged: Mapping[str, int], totals: Mapping[str, int]) -> str:
    """Look-alikes flagged by kind, each against the look-alikes of that kind in the truth."""
    return ", ".join(f"{k} {v} of {totals.get(k, '?')}" for k, v in flagged.items()) or "none"


def typology_rows(ev: Evaluation) -> list[tuple[str, str, str, int, int, float | None]]:
    """(finding, dimension, typology, found, positives, recall) for every finding and the warning targets."""
    rows = []
    sources = [(f.name, f.by_typology) for f in ev.findings if f.built]
    sources.append(("warning targets (before payment)", ev.warning.by_typology))
    for name, dims in sources:
        for dim, labels in dims.items():
            for label, c in labels.items():
                rows.append((name, dim, label, int(c["found"]), int(c["positives"]), c["recall"]))
    return rows


def _render_typologies(ev: Evaluation, console: Any) -> None:
    from rich.table import Table

    rows = typology_rows(ev)
    if not rows:
        return
    table = Table(title="Recall per typology", title_justify="left")
    for col in ("finding", "typology of", "typology", "found / positives", "recall"):
        table.add_column(col, justify="right" if col in ("found / positives", "recall") else "left")
    for name, dim, label, found, positives, recall in rows:
        table.add_row(name, dim, label, f"{found} / {positives}", _fmt(recall))
    console.print(table)


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


def _render_warning(w: WarningEval, console: Any, ev_lookalikes: Mapping[str, int]) -> None:
    from rich.table import Table

    table = Table(title="Warning targets", caption=f"list window ({w.window_start}, {w.as_of}]", show_header=False)
    if not w.built:
        table.add_row("status", "[yellow]not built[/yellow]: " + "; ".join(w.notes))
        console.print(table)
        return
    lead = "—" if w.median_lead_hours is None else f"{w.median_lead_hours:.1f} h"
    size = "—" if w.list_per_10k_day is None else f"{w.list_per_10k_day:.1f}"
    rows = [
        ("scored from", f"{w.recall_source}"),
        (
            "precision (listed people a fraud number contacted)",
            f"{_fmt(w.precision)} ({w.lists_rows_contacted} of {w.lists_rows} rows over {w.publishes} list(s))",
        ),
        ("list size per 10,000 residents per publish", f"{size} ({w.residents:,} residents)"),
        (
            "recall before first payment",
            f"{_fmt(w.recall_before_payment)} ({w.recall_on_time} of {w.recall_victims} "
            f"victims; {w.recall_unreachable} first contacted after the last list before they paid)",
        ),
        ("final build: people listed", str(w.listed)),
        ("paying victims in scope", str(w.victims_in_scope)),
        ("on the list before their first payment", f"{w.listed_before_payment} ({_fmt(w.share_before_payment)})"),
        ("median lead time", lead),
        ("still preventable at as_of (pay later)", f"{w.preventable}, listed {w.preventable_listed}"),
        ("listed people who never paid", str(w.listed_never_paid)),
        ("  of whom targeted by a gang", str(w.listed_targeted_not_paid)),
        ("  of whom never contacted by a gang", str(w.listed_never_contacted)),
        ("innocent look-alikes listed", _kinds_of(w.lookalikes_listed, ev_lookalikes)),
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
