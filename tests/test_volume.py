"""Volume checks that never hold good data: the count model, per-file holds, and replay --accept with a reason."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows import workdb
from flows.ingest import ledger
from flows.ingest.extract.files import load_file_batch, pending_batches
from flows.ingest.validate import build_data_docs, open_context
from flows.ingest.volume import judge_counts, lower_tail, plausible_floor
from flows.operations import status
from flows.operations.replay import CannotAccept, replay_batch
from flows.publish import report
from flows.settings import Settings
from tests.fixtures_landing import (
    CDR_COLS,
    SUB_COLS,
    account,
    cdr_row,
    csv_bytes,
    jsonl_bytes,
    make_card,
    subscriber_row,
    txn,
    write_batch,
)

DAYS = [f"2026-05-{d:02d}" for d in range(1, 10)]  # 1: initial, then deltas


@pytest.fixture(autouse=True)
def _quiet_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GX_ANALYTICS_ENABLED", "false")
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(landing=str(tmp_path / "landing"), work_dir=tmp_path / "work")


def take_source(settings: Settings, source: str, run_id: str) -> list:
    with workdb.connect(settings) as con:
        ctx = open_context(settings)
        results = [load_file_batch(con, settings, b, run_id, ctx) for b in pending_batches(con, settings, source)]
        assert ledger.check_invariants(con) == [], "the ledger balances after every run"
        return results


def fetch(settings: Settings, sql: str, params: list | None = None) -> list[tuple]:
    with workdb.connect(settings) as con:
        return con.execute(sql, params or []).fetchall()


def calls(day: str, n: int, prefix: str = "") -> list[list[str | None]]:
    return [cdr_row(f"{prefix}{day}-{i}", start=f"{day} 10:00:00") for i in range(n)]


def subscribers(n: int, day: str) -> list[list[str | None]]:
    return [subscriber_row(msisdn=f"139{int(day[-2:]):02d}{i:06d}") for i in range(n)]


def telecom(settings: Settings, day: str, n_calls: int, n_subs: int, **kw) -> None:
    write_batch(
        settings.landing,
        "telecom",
        day,
        {
            "cdr.csv.gz": csv_bytes(CDR_COLS, kw.pop("cdr", None) or calls(day, n_calls), gz=True),
            "subscribers.csv": csv_bytes(SUB_COLS, subscribers(n_subs, day)),
        },
        kind="initial" if day == DAYS[0] else "delta",
        **kw,
    )


def finance(settings: Settings, day: str, n_txns: int, n_accounts: int) -> None:
    accounts = [account(make_card(n=int(day[-2:]) * 1000 + i)) for i in range(n_accounts)]
    write_batch(
        settings.landing,
        "finance",
        day,
        {
            "accounts.jsonl": jsonl_bytes(accounts),  # no accounts: an empty file, as the contract allows
            "transactions.jsonl.gz": jsonl_bytes(
                [txn(f"{day}-{i}", ts=f"{day}T09:31:07+08:00") for i in range(n_txns)], gz=True
            ),
        },
        kind="initial" if day == DAYS[0] else "delta",
    )


# ---- the count model ---------------------------------------------------------------------------------
def test_poisson_tail_at_its_boundaries() -> None:
    assert lower_tail(-1, 3.0) == 0.0
    assert lower_tail(0, 3.0) == pytest.approx(math.exp(-3))
    direct = sum(math.exp(-3) * 3**k / math.factorial(k) for k in range(4))
    assert lower_tail(3, 3.0) == pytest.approx(direct)  # at the mean: one minus the upper tail
    assert lower_tail(10_000, 3.0) == pytest.approx(1.0)


def test_negative_binomial_tail_is_the_poisson_one_without_extra_dispersion_and_wider_with_it() -> None:
    assert lower_tail(80, 100.0, 1e-3) == pytest.approx(lower_tail(80, 100.0, 0.0), rel=1e-3)
    assert lower_tail(50, 100.0, 0.25) > lower_tail(50, 100.0, 0.0)
    # r = 16, p = 16/116: P(0) = p^16
    assert lower_tail(0, 100.0, 0.25) == pytest.approx((16 / 116) ** 16)


def test_the_floor_is_the_first_count_whose_tail_reaches_the_threshold() -> None:
    for mean, cv in ((38_000.0, 0.25), (7_600.0, 0.25), (60.0, 0.0), (60.0, 0.25)):
        floor = plausible_floor(mean, cv, 1e-6)
        assert lower_tail(floor, mean, cv) >= 1e-6 > lower_tail(floor - 1, mean, cv)


def test_a_collapse_to_5_percent_is_implausible_half_a_day_is_not(settings: Settings) -> None:
    history = [38_000, 37_800, 38_100, 37_900, 38_050, 37_950, 38_000]
    assert judge_counts(int(38_000 * 0.05), history, settings).implausible
    assert not judge_counts(19_000, history, settings).implausible
    assert not judge_counts(0, history[:2], settings).implausible, "fewer than 3 deltas: no reference"


def test_a_trickle_is_never_judged(settings: Settings) -> None:
    for history in ([1, 2, 3, 2, 1], [3, 3, 3], [0, 1, 0, 2]):
        for observed in (0, 1, 3, 40):
            verdict = judge_counts(observed, history, settings)
            assert verdict.floor == 0 and not verdict.implausible


# ---- per-file holds ----------------------------------------------------------------------------------
def test_a_quiet_days_empty_delta_loads_with_that_days_transactions(settings: Settings) -> None:
    for day in DAYS[:5]:
        finance(settings, day, n_txns=60, n_accounts=3 if day != DAYS[0] else 40)
        telecom(settings, day, n_calls=60, n_subs=2)
    finance(settings, DAYS[5], n_txns=60, n_accounts=0)  # accounts.jsonl empty
    telecom(settings, DAYS[5], n_calls=60, n_subs=0)  # subscribers.csv: its header only
    assert {r.status for r in take_source(settings, "finance", "r1")} == {"loaded"}
    assert {r.status for r in take_source(settings, "telecom", "r1")} == {"loaded"}
    got = fetch(settings, "select count(*) from raw.finance__transactions where _batch = ?", [DAYS[5]])
    assert got == [(60,)], "the quiet day's transactions are in raw (dbt builds the marts from raw)"
    assert fetch(settings, "select count(*) from raw.telecom__cdr where _batch = ?", [DAYS[5]]) == [(60,)]
    checks = fetch(
        settings,
        "select table_name, severity, success from audit.dq_results where batch = ? "
        "and expectation = 'expect_table_row_count_to_be_between' order by table_name",
        [DAYS[5]],
    )
    assert checks == [
        ("accounts", "alert", True),
        ("cdr", "hold", True),
        ("subscribers", "alert", True),
        ("transactions", "hold", True),
    ]


def test_a_reference_delta_that_collapses_only_raises_an_alert(settings: Settings) -> None:
    for day in DAYS[:5]:
        finance(settings, day, n_txns=60, n_accounts=60)
    finance(settings, DAYS[5], n_txns=60, n_accounts=0)
    results = take_source(settings, "finance", "r1")
    assert [r.status for r in results] == ["loaded"] * 6
    assert "alert accounts: row count implausible" in results[-1].message
    assert fetch(settings, "select count(*) from raw.finance__transactions where _batch = ?", [DAYS[5]]) == [(60,)]
    assert fetch(
        settings,
        "select severity, success from audit.dq_results where batch = ? and table_name = 'accounts' "
        "and expectation = 'expect_table_row_count_to_be_between'",
        [DAYS[5]],
    ) == [("alert", False)]


def test_a_one_to_three_row_delta_never_holds_even_where_its_table_holds(settings: Settings) -> None:
    strict = settings.model_copy(update={"volume_hold_tables": ["telecom.cdr", "telecom.subscribers"]})
    sizes = [5, 1, 3, 2, 1, 3, 0, 1]
    for day, n in zip(DAYS, sizes, strict=False):
        telecom(strict, day, n_calls=2, n_subs=n)
    assert {r.status for r in take_source(strict, "telecom", "r1")} == {"loaded"}


def held_cdr_world(settings: Settings) -> None:
    """Four normal days, a day whose 100-call feed delivers 5 (held alone), a newer normal day."""
    for day in DAYS[:5]:
        telecom(settings, day, n_calls=100, n_subs=2)
    # the collapsed day carries k1 at duration 60; the next day carries k1 again at 99 (the newer version)
    telecom(settings, DAYS[5], n_calls=5, n_subs=2, cdr=[*calls(DAYS[5], 4), cdr_row("k1", f"{DAYS[5]} 23:00:00")])
    newer = [*calls(DAYS[6], 99), cdr_row("k1", f"{DAYS[5]} 23:00:00", duration="99")]
    telecom(settings, DAYS[6], n_calls=100, n_subs=2, cdr=newer)


def test_a_high_volume_file_at_5_percent_is_held_alone_while_the_batch_loads(settings: Settings) -> None:
    held_cdr_world(settings)
    results = take_source(settings, "telecom", "r1")
    collapsed = results[5]
    assert collapsed.status == "partial" and "held alone telecom/batch=2026-05-06/cdr.csv.gz" in collapsed.message
    assert "P(<= 5)" in collapsed.message
    assert [r.status for r in results[6:]] == ["loaded"], "the next day is judged without the held file"
    by_file = {r.table_name: r.status for r in collapsed.ledger}
    assert by_file == {"cdr": "held_file", "subscribers": "loaded"}
    assert fetch(settings, "select count(*) from raw.telecom__cdr where _batch = ?", [DAYS[5]]) == [(0,)]
    assert fetch(settings, "select count(*) from raw.telecom__subscribers where _batch = ?", [DAYS[5]]) == [(2,)]
    assert fetch(
        settings,
        "select severity, success from audit.dq_results where batch = ? and table_name = 'cdr' "
        "and expectation = 'expect_table_row_count_to_be_between'",
        [DAYS[5]],
    ) == [("hold", False)]
    docs = build_data_docs(settings, open_context(settings))
    pages = [p.read_text("utf-8", "replace") for p in docs.parent.rglob("*.html")]
    assert any("severity: hold" in t for t in pages), "Data Docs show the hold with its severity"
    st = {s.source: s for s in status.collect(settings).sources}["telecom"]
    assert any(h.startswith(f"{DAYS[5]}: partial") for h in st.held)


def test_replay_accept_loads_the_held_file_once_and_a_newer_batch_keeps_winning(settings: Settings) -> None:
    held_cdr_world(settings)
    take_source(settings, "telecom", "r1")
    with workdb.connect(settings) as con:  # the run's report says what it held alone
        held = report.holds_and_accepts(con, "r1")
    assert held[0].startswith(f"held alone: telecom {DAYS[5]} `telecom/batch={DAYS[5]}/cdr.csv.gz`")
    replay_batch(settings, "telecom", DAYS[5], accept=True, reason="network outage, known short day", who="ops-li")
    [res] = take_source(settings, "telecom", "r2")
    assert res.status == "loaded" and "accepted cdr: row count implausible" in res.message
    assert [r.table_name for r in res.ledger] == ["cdr"], "only the held file is taken again"
    assert fetch(settings, "select count(*) from raw.telecom__cdr where _batch = ?", [DAYS[5]]) == [(5,)]
    assert fetch(settings, "select count(*) from raw.telecom__subscribers where _batch = ?", [DAYS[5]]) == [(2,)]
    # later batch wins, as staging picks it (dbt_project/macros/dedup.sql: _batch desc, _line desc)
    latest = fetch(
        settings,
        "select duration_s, _batch from raw.telecom__cdr where call_id = 'k1' "
        "qualify row_number() over (partition by call_id order by _batch desc, _line desc) = 1",
    )
    assert latest == [("99", DAYS[6])]
    accepts = fetch(settings, "select who, reason, run_id from audit.accepts")
    assert accepts == [("ops-li", "network outage, known short day", "r2")]
    assert fetch(
        settings,
        "select severity, success from audit.dq_results where run_id = 'r2' and table_name = 'cdr' "
        "and expectation = 'expect_table_row_count_to_be_between'",
    ) == [("accepted", False)]
    states = dict(
        fetch(settings, "select status, count(*) from audit.load_ledger where batch = ? group by 1", [DAYS[5]])
    )
    assert states == {"loaded": 2, "released": 1}, "the held row stays as history"
    st = {s.source: s for s in status.collect(settings).sources}["telecom"]
    assert st.accepts and "accepted by ops-li" in st.accepts[0] and "loaded in run r2" in st.accepts[0]
    assert not st.held
    assert take_source(settings, "telecom", "r3") == [], "accepted once: nothing left to take"
    with workdb.connect(settings) as con:  # ... and the accepting run's what it loaded despite its check
        accepted = report.holds_and_accepts(con, "r2")
    assert accepted[0].startswith(f"accepted: telecom {DAYS[5]} by ops-li") and "network outage" in accepted[0]
    md = report.summary_markdown(report.RunSummary("r2"), settings, [], [], accepted)
    assert "## Held alone and accepted: 1" in md


def test_accept_on_a_damaged_delivery_or_without_a_reason_is_refused(settings: Settings) -> None:
    telecom(settings, DAYS[0], n_calls=3, n_subs=1, manifest_files={"cdr.csv.gz": {"rows": 3, "sha256": "0" * 64}})
    assert [r.status for r in take_source(settings, "telecom", "r1")] == ["refused"]
    with pytest.raises(CannotAccept, match="the source must re-deliver it"):
        replay_batch(settings, "telecom", DAYS[0], accept=True, reason="looks fine to me")
    from flows.cli import app

    base = ["replay", "--source", "telecom", "--batch", DAYS[0], "--work-dir", str(settings.work_dir), "--accept"]
    short = CliRunner().invoke(app, [*base, "--reason", "ok"])
    assert short.exit_code == 2 and "at least 5 characters" in short.output
    damaged = CliRunner().invoke(app, [*base, "--reason", "looks fine to me"])
    assert damaged.exit_code == 2 and "re-deliver" in damaged.output
    assert fetch(settings, "select count(*) from audit.accepts") == [(0,)]
    assert fetch(settings, "select status from audit.batches") == [("refused",)], "nothing was changed"


def test_accept_loads_a_whole_batch_held_by_a_rate_but_never_a_drifted_schema(settings: Settings) -> None:
    bad_id = "420922199001011230"  # wrong check character
    many = [subscriber_row(msisdn=f"139{i:08d}", id_no=bad_id if i % 10 == 0 else None) for i in range(150)]
    write_batch(
        settings.landing,
        "telecom",
        DAYS[0],
        {"cdr.csv.gz": csv_bytes(CDR_COLS, calls(DAYS[0], 3), gz=True), "subscribers.csv": csv_bytes(SUB_COLS, many)},
        kind="initial",
    )
    drifted = ["call_id", "caller", "callee", "begin_time", "duration_s", "cell_id", "imei"]
    write_batch(settings.landing, "telecom", DAYS[1], {"cdr.csv.gz": csv_bytes(drifted, calls(DAYS[1], 3), gz=True)})
    assert [r.status for r in take_source(settings, "telecom", "r1")] == ["held", "held"]
    with pytest.raises(CannotAccept, match="schema drift"):
        replay_batch(settings, "telecom", DAYS[1], accept=True, reason="header renamed upstream")
    replay_batch(settings, "telecom", DAYS[0], accept=True, reason="the bank's ID register is known bad")
    [res] = take_source(settings, "telecom", "r2")
    assert res.status == "loaded" and "accepted subscribers: holder_id_no: malformed ID number" in res.message
    assert fetch(settings, "select count(*) from raw.telecom__subscribers") == [(150,)]
    assert ("accepted", False) in fetch(
        settings, "select severity, success from audit.dq_results where run_id = 'r2' and table_name = 'subscribers'"
    )
