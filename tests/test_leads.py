"""Lead packages exported for a county unit: evidence chains, stages, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import json

import duckdb
import pytest

from flows.analyst.leads import export_leads, neutralise


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"])
def test_formula_like_text_is_neutralised(cell):
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["-12.50", "42", "6222 **** **** 1234", "研判", None, 3])
def test_ordinary_values_are_left_alone(cell):
    assert neutralise(cell) == cell


def test_a_units_leads_carry_their_evidence_chain_and_nothing_clear(demo_run, small_world, tmp_path):
    from flows.privacy.scan import load_names, scan_path

    settings, _ = demo_run
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        unit, n_leads, n_items = con.execute(
            "select s.unit_code, count(distinct s.lead_id), (select count(*) from marts.lead_packages p "
            "where p.unit_code = s.unit_code) from marts.lead_status s group by 1 order by 2 desc, 1 limit 1"
        ).fetchone()
    finally:
        con.close()
    result = export_leads(settings.warehouse, unit, tmp_path / "out")
    assert (result.leads, result.evidence) == (n_leads, n_items)
    with open(tmp_path / "out" / "leads.csv", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == n_leads and all(r["stage_zh"] in {"研判", "交办", "办理", "督办", "办结"} for r in rows)
    doc = json.loads((tmp_path / "out" / "leads.json").read_text(encoding="utf-8"))
    items = [e for lead in doc["leads"] for e in lead["evidence"]]
    assert len(items) == n_items
    assert all(e["source_table"] and e["source_batch"] for e in items), "every item is traceable to its source"
    assert list(scan_path(tmp_path / "out", load_names(small_world["police_url"]))) == []
