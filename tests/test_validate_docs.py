"""GX validation routing and Data Docs that show no clear identifiers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from flows.contracts import table
from flows.settings import Settings
from flows.validate import build_data_docs, open_context, validate_frame
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
