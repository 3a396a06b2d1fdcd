"""GX validation routing and Data Docs that show no clear identifiers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from flows.ingest.validate import build_data_docs, open_context, validate_frame
from flows.settings import Settings
from rules.contracts import table
from tests.fixtures_landing import make_card, make_id


@pytest.fixture(autouse=True)
def _quiet_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GX_ANALYTICS_ENABLED", "false")
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))


PLANTED_ID = "42092219880229123X"  # wrong check character
PLANTED_PHONE = "12345678901"
PLANTED_CARD = "6222021234567899"
PLANTED_NAME = "赵秘密"


def accounts_frame() -> pd.DataFrame:
    t = table("finance", "accounts")
    good = {
        "card_no": make_card(n=1),
        "bank_code": "ICBC",
        "holder_id_no": make_id(),
        "holder_name": "李四",
        "holder_phone": "13912345678",
        "opened_at": "2026-05-01T09:00:00+08:00",
        "branch_code": "B1",
        "region_code": "420922",
        "account_class": "I",
        "status": "normal",
        "updated_at": "2026-05-01T09:00:00+08:00",
    }
    bad = {
        **good,
        "card_no": PLANTED_CARD,
        "holder_id_no": PLANTED_ID,
        "holder_phone": PLANTED_PHONE,
        "holder_name": PLANTED_NAME,
        "account_class": "IV",
    }
    df = pd.DataFrame([good, bad], columns=list(t.columns))
    df["_line"] = [1, 2]
    return df


def test_flags_are_rates_unusable_rows_are_routed(tmp_path: Path) -> None:
    settings = Settings(work_dir=tmp_path / "work")
    out = validate_frame(
        accounts_frame(), table("finance", "accounts"), settings, batch_label="2026-05-10", run_id="r1"
    )
    assert out.row_failures == {2: ["expect_column_values_to_be_in_set(account_class)"]}
    rates = out.flag_rates()
    assert rates["expect_column_values_to_be_valid_cn_id(holder_id_no)"] == pytest.approx(0.5)
    assert rates["expect_column_values_to_be_valid_card_no(card_no)"] == pytest.approx(0.5)
    assert out.passed  # two rows: too few to judge a rate
    assert all(len(r) == 14 for r in out.dq_rows("d1"))


def test_data_docs_show_no_clear_identifiers(tmp_path: Path) -> None:
    settings = Settings(work_dir=tmp_path / "work")
    ctx = open_context(settings)
    validate_frame(
        accounts_frame(), table("finance", "accounts"), settings, batch_label="2026-05-10", run_id="r1", context=ctx
    )
    index = build_data_docs(settings, ctx)
    assert index.exists()
    site_files = [p for p in settings.gx_dir.rglob("*") if p.is_file()]
    assert any(p.suffix == ".html" and "validations" in str(p) for p in site_files)
    for p in site_files:
        text = p.read_bytes().decode("utf-8", "replace")
        for planted in (PLANTED_ID, PLANTED_PHONE, PLANTED_CARD, PLANTED_NAME):
            assert planted not in text, f"{planted[:3]}… found in {p}"


# The DuckDB engine's identifier and timestamp conditions are checked against the Python rules on the shared
# corpus of edge cases: tests/test_identifier_corpus.py.


def _victims_frame(rows: int, mistyped_every: int) -> pd.DataFrame:
    t = table("police", "victims")
    records = []
    for i in range(rows):
        id_no = make_id(seq=f"{i % 1000:03d}")
        if i % mistyped_every == 0:  # a wrong check character, as officers mistype it
            id_no = id_no[:17] + ("0" if id_no[17] != "0" else "1")
        records.append(
            {
                "case_no": f"A{i:05d}",
                "seq": "1",
                "id_no": id_no,
                "name": "王五",
                "phone": "13912345678",
                "gender": "M",
                "age": "40",
                "updated_at": "2026-05-01 09:00:00",
            }
        )
    df = pd.DataFrame(records, columns=list(t.columns))
    df["_line"] = range(1, rows + 1)
    return df


def test_hand_typed_police_ids_are_flagged_not_held_while_a_telecom_bound_holds(tmp_path: Path) -> None:
    """Police ID numbers are "sometimes mistyped" (no bound in the contract): 10% keeps the batch; the
    operators' 1% promise keeps the strict bound for their files."""
    settings = Settings(work_dir=tmp_path / "work")
    victims = table("police", "victims")
    out = validate_frame(_victims_frame(200, 10), victims, settings, batch_label="police", run_id="r1")
    assert out.flag_rates()["expect_column_values_to_be_valid_cn_id(id_no)"] == pytest.approx(0.1)
    assert out.passed, out.batch_failures
    out = validate_frame(_victims_frame(200, 2), victims, settings, batch_label="police", run_id="r2")
    assert not out.passed, "half the ID numbers mistyped is a damaged extraction"


def test_a_row_rule_that_cannot_be_computed_holds_the_batch_never_passes_silently(tmp_path: Path, monkeypatch) -> None:
    from expectations.sql_engine import DuckDBExecutionEngine

    real = DuckDBExecutionEngine._metric

    def no_lengths(self, m):  # GX then reports the failure per metric: {metric id: {"raised_exception": True}}
        if m.metric_name == "column_values.value_length.map":
            raise ValueError("not computable here")
        return real(self, m)

    monkeypatch.setattr(DuckDBExecutionEngine, "_metric", no_lengths)
    settings = Settings(work_dir=tmp_path / "work")
    out = validate_frame(accounts_frame(), table("finance", "accounts"), settings, batch_label="b", run_id="r1")
    assert any(
        f.startswith("expect_column_value_lengths_to_be_between(holder_name) could not run: not computable here")
        for f in out.batch_failures
    ), out.batch_failures
