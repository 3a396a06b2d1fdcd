"""The scale curve: seconds against rows delivered, log-log. PNG with matplotlib when installed, else plain SVG."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

Result = dict[str, Any]
Series = dict[str, list[tuple[float, float]]]
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")
W, H, LEFT, RIGHT, TOP, BOTTOM = 760, 460, 80, 200, 40, 60


def series(results: Result) -> Series:
    """(rows delivered, seconds) per step, ordered by rows."""
    scales = sorted(results["scales"], key=lambda s: s["rows_delivered"])
    pick = {
        "simulate": lambda s: s["simulate"]["wall_s"],
        "baseline load": lambda s: s["baseline"]["seconds"],
        "extract+validate": lambda s: s["pipeline"]["stages_s"]["extract+validate"],
        "dbt (3 layers)": lambda s: sum(v for k, v in s["pipeline"]["stages_s"].items() if k.startswith("dbt")),
        "pipeline (stages)": lambda s: s["pipeline"]["stage_total_s"],
    }
    return {name: [(float(s["rows_delivered"]), float(f(s))) for s in scales] for name, f in pick.items()}


def scale_marks(results: Result) -> list[tuple[float, str]]:
    """(rows delivered, "scale N") per measured scale: labels of the x positions."""
    return [(float(s["rows_delivered"]), f"scale {s['scale']:g}") for s in results["scales"]]


def write(results: Result, stem: Path) -> Path:
    data = series(results)
    try:
        return _png(data, stem.with_suffix(".png"), scale_marks(results))
    except ImportError:
        path = stem.with_suffix(".svg")
        path.write_text(svg(data), encoding="utf-8")
        return path


def _png(data: Series, path: Path, marks: list[tuple[float, str]] | None = None) -> Path:
    import matplotlib  # the `dev` extra installs it; without it, write() falls back to SVG

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullFormatter

    fig, ax = plt.subplots(figsize=(9, 5.5))
    for (name, pts), color in zip(data.items(), COLORS, strict=False):
        pts = [(x, y) for x, y in pts if y > 0]
        ax.plot([x for x, _ in pts], [y for _, y in pts], "o-", label=name, color=color, linewidth=2)
        if pts:
            x, y = pts[-1]
            label = f"{y:,.0f} s" if y >= 10 else f"{y:.1f} s"
            ax.annotate(label, (x, y), xytext=(6, 0), textcoords="offset points", va="center", fontsize=8, color=color)
    ax.set(xscale="log", yscale="log", xlabel="rows delivered", ylabel="seconds (log)")
    ax.set_title("fraudbrain scale curve: seconds against rows delivered (log-log)")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _label(v)))
    if marks:  # one x tick per measured scale: its rows and the scale
        ax.set_xticks([x for x, _ in marks], [f"{_rows(x)} rows\n{text}" for x, text in marks])
        ax.xaxis.set_minor_formatter(NullFormatter())
    else:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _rows(v)))
    ax.margins(x=0.12)
    ax.grid(True, which="major", alpha=0.4)
    ax.grid(True, which="minor", alpha=0.15)
    ax.legend(loc="lower right")
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


def _rows(v: float) -> str:
    """Row counts on the x axis: 1.36M, 310k, 900."""
    if v >= 1e6:
        return f"{v / 1e6:.3g}M"
    return f"{v / 1e3:.3g}k" if v >= 1e3 else f"{v:g}"


def _bounds(values: list[float]) -> tuple[float, float]:
    lo, hi = math.log10(min(values)), math.log10(max(values))
    return math.floor(lo - 0.15), math.ceil(hi + 0.15)


def _ticks(lo: int, hi: int) -> list[float]:
    steps = (1, 2, 5) if hi - lo <= 3 else (1,)
    return [m * 10.0**e for e in range(lo, hi + 1) for m in steps if lo <= math.log10(m * 10.0**e) <= hi]


def _label(v: float) -> str:
    return f"{v:,.0f}" if v >= 1 else f"{v:g}"


def svg(data: Series) -> str:
    xs = [x for pts in data.values() for x, _ in pts]
    ys = [y for pts in data.values() for _, y in pts if y > 0]
    (x0, x1), (y0, y1) = _bounds(xs), _bounds(ys)
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM

    def px(x: float) -> float:
        return LEFT + (math.log10(x) - x0) / (x1 - x0) * pw

    def py(y: float) -> float:
        return TOP + ph - (math.log10(y) - y0) / (y1 - y0) * ph

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
        f'<rect width="{W}" height="{H}" fill="white"/>',
        f'<text x="{LEFT}" y="22" font-size="15">fraudbrain scale curve (log-log): seconds vs rows delivered</text>',
        f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>',
    ]
    for t in _ticks(x0, x1):
        out.append(f'<line x1="{px(t):.1f}" y1="{TOP}" x2="{px(t):.1f}" y2="{TOP + ph}" stroke="#ddd"/>')
        out.append(f'<text x="{px(t):.1f}" y="{TOP + ph + 16}" text-anchor="middle">{_label(t)}</text>')
    for t in _ticks(y0, y1):
        out.append(f'<line x1="{LEFT}" y1="{py(t):.1f}" x2="{LEFT + pw}" y2="{py(t):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{LEFT - 6}" y="{py(t) + 4:.1f}" text-anchor="end">{_label(t)}</text>')
    out.append(f'<text x="{LEFT + pw / 2}" y="{H - 18}" text-anchor="middle">rows delivered</text>')
    out.append(f'<text x="18" y="{TOP + ph / 2}" transform="rotate(-90 18 {TOP + ph / 2})">seconds</text>')
    for i, ((name, pts), color) in enumerate(zip(data.items(), COLORS, strict=False)):
        coords = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in pts if y > 0)
        out.append(f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="2"/>')
        out += [f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="4" fill="{color}"/>' for x, y in pts if y > 0]
        ly = TOP + 14 + i * 20
        out.append(f'<rect x="{W - RIGHT + 14}" y="{ly - 9}" width="12" height="12" fill="{color}"/>')
        out.append(f'<text x="{W - RIGHT + 32}" y="{ly + 1}">{name}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
