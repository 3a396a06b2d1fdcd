"""A static, self-contained HTML portal built from the published warehouse only.

KPIs by region and month with trend charts, the anti-fraud index (ranking and five aspects), the largest
gangs drawn as networks, case clusters, data-quality status per source with links into the GX Data Docs,
and the dbt docs. Charts are inline SVG: no script, no network, nothing to download.
"""

from __future__ import annotations

import html
import math
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")
ROLE_COLOURS = {"organizer": "#d62728", "card_supplier": "#ff7f0e", "mule": "#1f77b4", "caller": "#2ca02c"}

CSS = """
body{font-family:system-ui,"Segoe UI","Noto Sans CJK SC",sans-serif;margin:0;color:#222;background:#f6f7f9}
header{background:#12325a;color:#fff;padding:16px 28px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;opacity:.85;font-size:13px}nav{padding:8px 28px;background:#e8edf3;font-size:14px}
nav a{margin-right:16px;color:#12325a}main{padding:8px 28px 40px}section{background:#fff;border-radius:6px;
padding:14px 18px;margin:16px 0;box-shadow:0 1px 2px rgba(0,0,0,.08)}h2{font-size:18px;margin:4px 0 10px}
table{border-collapse:collapse;font-size:13px}td,th{padding:4px 8px;border-bottom:1px solid #e3e6ea;text-align:right}
th{background:#f0f2f5}td:first-child,th:first-child{text-align:left}.ok{color:#1a7f37}.bad{color:#c62828;font-weight:600}
.grid{display:flex;flex-wrap:wrap;gap:16px}.muted{color:#666;font-size:12px}svg{background:#fff}
"""


def _q(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    cur = con.execute(sql, list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _has(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[tuple[str, str]]:
    return [
        (r[0], r[1])
        for r in con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        ).fetchall()
    ]


def e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _num(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float | Decimal):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return e(value)


def _compact(value: float) -> str:
    for size, suffix in ((1e8, "亿"), (1e4, "万")):
        if abs(value) >= size:
            return f"{value / size:.1f}{suffix}"
    return f"{value:g}"


def table_html(rows: list[dict[str, Any]], columns: Sequence[str] | None = None, limit: int = 50) -> str:
    if not rows:
        return '<p class="muted">no rows</p>'
    cols = list(columns or rows[0].keys())
    head = "".join(f"<th>{e(c)}</th>" for c in cols)
    body = "".join(
        "<tr>"
        + "".join(f"<td>{_num(r.get(c)) if not isinstance(r.get(c), str) else e(r.get(c))}</td>" for c in cols)
        + "</tr>"
        for r in rows[:limit]
    )
    more = f'<p class="muted">{len(rows) - limit} more rows in the warehouse</p>' if len(rows) > limit else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


# ---- charts (inline SVG) -----------------------------------------------------------------------------
def line_chart(series: dict[str, list[tuple[str, float]]], title: str, width: int = 520, height: int = 240) -> str:
    """One polyline per series over shared x labels (months)."""
    xs = sorted({x for pts in series.values() for x, _ in pts})
    ys = [y for pts in series.values() for _, y in pts]
    if not xs or not ys:
        return ""
    pad_l, pad_b, pad_t, pad_r = 56, 28, 24, 110
    w, h = width - pad_l - pad_r, height - pad_t - pad_b
    ymax = max(ys) or 1.0

    def px(i: int) -> float:
        return pad_l + (w * i / max(len(xs) - 1, 1))

    def py(y: float) -> float:
        return pad_t + h - h * (y / ymax)

    parts = [
        f'<svg class="chart" role="img" aria-label="{e(title)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>{e(title)}</title>',
        f'<text x="{pad_l}" y="16" font-size="13" font-weight="600">{e(title)}</text>',
        f'<line x1="{pad_l}" y1="{pad_t + h}" x2="{pad_l + w}" y2="{pad_t + h}" stroke="#999"/>',
        f'<line x1="{pad_l}" y1="{pad_t}" x2="{pad_l}" y2="{pad_t + h}" stroke="#999"/>',
        f'<text x="{pad_l - 6}" y="{pad_t + 4}" font-size="10" text-anchor="end">{_compact(ymax)}</text>',
        f'<text x="{pad_l - 6}" y="{pad_t + h}" font-size="10" text-anchor="end">0</text>',
    ]
    for i, x in enumerate(xs):
        if len(xs) <= 12 or i % math.ceil(len(xs) / 12) == 0:
            parts.append(f'<text x="{px(i):.1f}" y="{height - 8}" font-size="10" text-anchor="middle">{e(x)}</text>')
    for k, (name, pts) in enumerate(sorted(series.items())):
        colour = PALETTE[k % len(PALETTE)]
        lookup = dict(pts)
        coords = " ".join(f"{px(i):.1f},{py(lookup[x]):.1f}" for i, x in enumerate(xs) if x in lookup)
        parts.append(f'<polyline class="series" fill="none" stroke="{colour}" stroke-width="2" points="{coords}"/>')
        for i, x in enumerate(xs):
            if x in lookup:
                parts.append(
                    f'<circle cx="{px(i):.1f}" cy="{py(lookup[x]):.1f}" r="2.5" fill="{colour}">'
                    f"<title>{e(name)} {e(x)}: {_num(lookup[x])}</title></circle>"
                )
        parts.append(
            f'<text x="{pad_l + w + 8}" y="{pad_t + 12 + 14 * k}" font-size="11" fill="{colour}">{e(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(bars: list[tuple[str, float]], title: str, width: int = 520) -> str:
    if not bars:
        return ""
    height = 30 + 18 * len(bars)
    vmax = max((v for _, v in bars), default=1.0) or 1.0
    label_w, w = 140, width - 140 - 60
    parts = [
        f'<svg class="chart" role="img" aria-label="{e(title)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>{e(title)}</title>',
        f'<text x="0" y="16" font-size="13" font-weight="600">{e(title)}</text>',
    ]
    for i, (label, v) in enumerate(bars):
        y = 26 + 18 * i
        bw = max(w * (v / vmax), 0.5)
        parts.append(f'<text x="{label_w - 6}" y="{y + 11}" font-size="11" text-anchor="end">{e(label)}</text>')
        parts.append(
            f'<rect class="bar" x="{label_w}" y="{y}" width="{bw:.1f}" height="13" fill="{PALETTE[0]}">'
            f"<title>{e(label)}: {_num(v)}</title></rect>"
        )
        parts.append(f'<text x="{label_w + bw + 4:.1f}" y="{y + 11}" font-size="10">{_num(round(v, 2))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def network(gang_id: str, members: list[dict[str, Any]], size: int = 260) -> str:
    """A gang as a star: the organizer (or first member) in the middle, members around, coloured by role."""
    if not members:
        return ""
    members = sorted(members, key=lambda m: (m.get("role") != "organizer", str(m.get("id_token"))))
    others = members[1:]
    c = size / 2
    r = size / 2 - 30
    pos = [(c, c)] + [
        (
            c + r * math.cos(2 * math.pi * i / max(len(others), 1)),
            c + r * math.sin(2 * math.pi * i / max(len(others), 1)),
        )
        for i in range(len(others))
    ]
    parts = [
        f'<svg class="chart network" role="img" aria-label="gang {e(gang_id)}" width="{size}" '
        f'height="{size + 20}" viewBox="0 0 {size} {size + 20}"><title>gang {e(gang_id)}</title>',
        f'<text x="4" y="14" font-size="12" font-weight="600">gang {e(gang_id)} ({len(members)})</text>',
    ]
    for x, y in pos[1:]:
        parts.append(f'<line x1="{c}" y1="{c + 10}" x2="{x:.1f}" y2="{y + 10:.1f}" stroke="#bbb"/>')
    for m, (x, y) in zip(members, pos, strict=True):
        colour = ROLE_COLOURS.get(str(m.get("role")), "#777")
        label = str(m.get("id_token") or "")[:6]
        parts.append(
            f'<circle class="node" cx="{x:.1f}" cy="{y + 10:.1f}" r="9" fill="{colour}">'
            f"<title>{e(m.get('role'))} {e(label)}…</title></circle>"
        )
    parts.append("</svg>")
    return "".join(parts)


# ---- sections -----------------------------------------------------------------------------------
def _kpi_section(con: duckdb.DuckDBPyConnection) -> str:
    if not _has(con, "marts", "kpi_region_month"):
        return ""
    rows = _q(con, "select * from marts.kpi_region_month order by month, region_code")
    monthly = _q(
        con,
        "select month, sum(cases) as cases, sum(losses) as losses from marts.kpi_region_month "
        "group by month order by month",
    )
    per_region = defaultdict(list)
    for r in rows:
        per_region[str(r["region_code"])].append((str(r["month"])[:7], float(r.get("cases") or 0)))
    top = sorted(per_region, key=lambda k: -sum(v for _, v in per_region[k]))[:6]
    daily = []
    if _has(con, "marts", "fct_cases"):
        daily = _q(
            con,
            "select cast(reported_at as date) as day, count(*) as cases, sum(loss_amount) as losses "
            "from marts.fct_cases group by all order by day",
        )
    by_day = {
        "cases": [(str(d["day"])[5:], float(d["cases"])) for d in daily],
        "losses (10k yuan)": [(str(d["day"])[5:], float(d["losses"] or 0) / 10000) for d in daily],
    }
    by_month_cases = {"cases": [(str(m["month"])[:7], float(m["cases"] or 0)) for m in monthly]}
    by_month_losses = {"losses (yuan)": [(str(m["month"])[:7], float(m["losses"] or 0)) for m in monthly]}
    charts = "".join(
        [
            line_chart(by_day, "Cases and losses per day (by report date)", width=760) if daily else "",
            line_chart(by_month_cases, "Cases per month"),
            line_chart(by_month_losses, "Losses per month"),
            line_chart({k: per_region[k] for k in top}, "Cases per month, largest regions"),
        ]
    )
    return (
        f'<section id="kpi"><h2>KPIs by region and month</h2><div class="grid">{charts}</div>'
        f"{table_html(rows, limit=60)}</section>"
    )


def _index_section(con: duckdb.DuckDBPyConnection) -> str:
    if not _has(con, "marts", "anti_fraud_index"):
        return ""
    cols = _columns(con, "marts", "anti_fraud_index")
    latest = con.execute("select max(month) from marts.anti_fraud_index").fetchone()[0]
    rows = _q(con, "select * from marts.anti_fraud_index where month = ? order by 1", [latest])
    total_col = next((c for c, _ in cols if c in ("total_score", "index_score", "total")), None)
    rank_col = next((c for c, _ in cols if c in ("rank", "index_rank", "region_rank")), None)
    if rank_col:
        rows.sort(key=lambda r: (r.get(rank_col) is None, r.get(rank_col)))
    aspects = [
        c
        for c, t in cols
        if c.endswith("_score")
        and c != total_col
        and any(k in t.upper() for k in ("DOUBLE", "DECIMAL", "FLOAT", "INT"))
    ]
    bars = [(str(r["region_code"]), float(r[total_col] or 0)) for r in rows] if total_col else []
    aspect_avg = [(a.removesuffix("_score"), sum(float(r[a] or 0) for r in rows) / max(len(rows), 1)) for a in aspects]
    shown = ["region_code", *([rank_col] if rank_col else []), *([total_col] if total_col else []), *aspects]
    return (
        f'<section id="index"><h2>Anti-fraud index, {e(str(latest)[:7])}</h2><div class="grid">'
        f"{bar_chart(bars, 'Index by region (total)')}{bar_chart(aspect_avg, 'Five aspects, mean over regions')}"
        f"</div>{table_html(rows, shown)}</section>"
    )


def _gangs_section(con: duckdb.DuckDBPyConnection) -> str:
    if not _has(con, "marts", "gangs"):
        return ""
    members = _q(con, "select gang_id, id_token, role from marts.gangs order by gang_id, id_token")
    by_gang: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for m in members:
        by_gang[str(m["gang_id"])].append(m)
    largest = sorted(by_gang, key=lambda g: (-len(by_gang[g]), g))[:6]
    legend = " ".join(f'<span style="color:{c}">● {e(r)}</span>' for r, c in ROLE_COLOURS.items())
    nets = "".join(network(g, by_gang[g]) for g in largest)
    return (
        f'<section id="gangs"><h2>Largest gangs ({len(by_gang)} found)</h2><p class="muted">{legend}; '
        f'nodes show the first characters of ID tokens</p><div class="grid">{nets}</div></section>'
    )


def _clusters_section(con: duckdb.DuckDBPyConnection) -> str:
    if not _has(con, "marts", "case_clusters"):
        return ""
    rows = _q(
        con,
        """select cluster_id, count(*) as cases,
                  array_to_string(list_sort(list_distinct(flatten(list(string_split(link_kinds, ','))))), ',')
                      as linked_by
           from marts.case_clusters group by cluster_id having count(*) > 1
           order by cases desc, cluster_id limit 30""",
    )
    sizes = [(str(r["cluster_id"]), float(r["cases"])) for r in rows[:12]]
    return (
        f'<section id="clusters"><h2>Case clusters</h2>{bar_chart(sizes, "Largest clusters (cases)")}'
        f"{table_html(rows)}</section>"
    )


def _quality_section(con: duckdb.DuckDBPyConnection) -> str:
    if not _has(con, "audit", "load_ledger"):
        return ""
    ledger = _q(
        con,
        """select source, count(*) filter (where status = 'loaded') as files_loaded,
                               count(*) filter (where status in ('held', 'held_file', 'refused')) as held_or_refused,
                               coalesce(sum(rows_read) filter (where status <> 'replaced'), 0) as rows_read,
                               coalesce(sum(rows_loaded) filter (where status <> 'replaced'), 0) as rows_loaded,
                               coalesce(sum(rows_quarantined) filter (where status <> 'replaced'), 0) as quarantined,
                               coalesce(sum(rows_duplicate) filter (where status <> 'replaced'), 0) as duplicate
                        from audit.load_ledger group by source order by source""",
    )
    failing = []
    if _has(con, "audit", "dq_results"):
        failing = _q(
            con,
            """select source, table_name, expectation, coalesce(column_name, '') as column_name,
                                    severity, count(*) as batches, sum(unexpected_count) as rows
                             from audit.dq_results where not success group by all order by source, table_name""",
        )
    for r in ledger:
        r["status"] = "held or refused batches" if r["held_or_refused"] else "ok"
    status_rows = "".join(
        f'<tr><td>{e(r["source"])}</td><td class="{"bad" if r["held_or_refused"] else "ok"}">{e(r["status"])}</td>'
        f"<td>{_num(r['files_loaded'])}</td><td>{_num(r['rows_read'])}</td><td>{_num(r['rows_loaded'])}</td>"
        f"<td>{_num(r['quarantined'])}</td><td>{_num(r['duplicate'])}</td></tr>"
        for r in ledger
    )
    return (
        '<section id="quality"><h2>Data quality per source</h2>'
        "<table><thead><tr><th>source</th><th>status</th><th>files loaded</th><th>rows read</th><th>loaded</th>"
        f"<th>quarantined</th><th>duplicate</th></tr></thead><tbody>{status_rows}</tbody></table>"
        '<p>Every check, batch by batch: <a href="../data_docs/index.html">Great Expectations Data Docs</a>. '
        'Models, columns and tests: <a href="../dbt_docs/index.html">dbt docs</a>.</p>'
        f"<h3>Checks that failed</h3>{table_html(failing)}</section>"
    )


def build_portal(warehouse: Path, out_dir: Path) -> Path:
    """Write `out_dir/index.html` from the published warehouse file; returns its path."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        run = (
            _q(
                con,
                "select run_id, finished_at from audit.runs where status = 'success' order by started_at desc limit 1",
            )
            if _has(con, "audit", "runs")
            else []
        )
        key_id = ""
        if _has(con, "marts", "fct_cases") and any(c == "token_key_id" for c, _ in _columns(con, "marts", "fct_cases")):
            key_id = con.execute("select any_value(token_key_id) from marts.fct_cases").fetchone()[0] or ""
        sections = [
            _kpi_section(con),
            _index_section(con),
            _gangs_section(con),
            _clusters_section(con),
            _quality_section(con),
        ]
    finally:
        con.close()
    run_line = f"run {e(run[0]['run_id'])}, published {e(run[0]['finished_at'])}" if run else "no run recorded"
    nav = "".join(
        f'<a href="#{k}">{label}</a>'
        for k, label in (
            ("kpi", "KPIs"),
            ("index", "Anti-fraud index"),
            ("gangs", "Gangs"),
            ("clusters", "Case clusters"),
            ("quality", "Data quality"),
        )
    )
    page = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>fraudbrain portal</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style></head><body>'
        f"<header><h1>fraudbrain — 反诈数据大脑</h1><p>{run_line}; token key {e(key_id)}</p></header>"
        f'<nav>{nav}<a href="../dbt_docs/index.html">dbt docs</a><a href="../data_docs/index.html">Data Docs</a></nav>'
        f"<main>{''.join(s for s in sections if s)}</main></body></html>"
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
