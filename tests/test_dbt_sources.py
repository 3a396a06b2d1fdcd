"""The dbt sources declare exactly the raw tables of the contract catalogue (rules/contracts.py).

The raw tables are created from the catalogue; the dbt `_<source>__sources.yml` files describe them for dbt
(documentation, lineage). This test keeps the two in step: a column added to the catalogue and not to the
sources (or the other way round) fails here rather than in a build or as a silently undocumented column.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from rules.contracts import ALL_TABLES, LINEAGE_COLUMNS

STAGING = Path(__file__).resolve().parents[1] / "dbt_project" / "models" / "staging"
SOURCES = ("telecom", "finance", "police")


def _declared(source: str) -> dict:
    doc = yaml.safe_load((STAGING / source / f"_{source}__sources.yml").read_text(encoding="utf-8"))
    (declared,) = doc["sources"]
    return declared


@pytest.mark.parametrize("source", SOURCES)
def test_dbt_sources_read_the_raw_schema_of_their_source(source: str) -> None:
    declared = _declared(source)
    assert (declared["name"], declared["schema"]) == (source, "raw")


@pytest.mark.parametrize("source", SOURCES)
def test_dbt_sources_list_exactly_the_catalogue_tables_and_columns_in_order(source: str) -> None:
    catalogue = {t.name: (t.raw_table, [*t.columns, *LINEAGE_COLUMNS]) for t in ALL_TABLES if t.source == source}
    declared = {
        t["name"]: (t.get("identifier"), [c["name"] for c in t["columns"]]) for t in _declared(source)["tables"]
    }
    assert declared == catalogue
