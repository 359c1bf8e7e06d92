"""Small inline SVG charts for the profile pages: a line of a series' history and a bar chart of LQs.

Why SVG written here rather than matplotlib images: about a hundred pages are written in one go, the charts
are simple, and SVG keeps text selectable in the HTML and sharp in the PDF. Every chart has a title, its
unit and its source in the figure itself, so a chart copied out of the page still says what it shows.
"""

from __future__ import annotations

from html import escape

W, H = 520, 220
PAD_L, PAD_R, PAD_T, PAD_B = 60, 16, 34, 44


def _caption(title: str, unit: str, source: str) -> str:
    return (
        f'<text x="{PAD_L}" y="16" font-size="13" font-weight="600">{escape(title)}</text>'
        f'<text x="{PAD_L}" y="29" font-size="10" fill="#5b6472">{escape(unit)}</text>'
        f'<text x="{PAD_L}" y="{H - 6}" font-size="9" fill="#5b6472">Source: {escape(source)}</text>'
    )


def _nice(v: float) -> str:
    a = abs(v)
    if a >= 1e6:
        return f"{v / 1e6:,.1f}m"
    if a >= 1e4:
        return f"{v / 1e3:,.0f}k"
    if a >= 100:
        return f"{v:,.0f}"
    return f"{v:,.1f}"


def line_chart(points: list[dict], title: str, unit: str, source: str) -> str:
    """Years on x, values on y; empty string when fewer than two points."""
    pts = [(int(p["year"]), float(p["value"])) for p in points if p.get("value") is not None]
    if len(pts) < 2:
        return ""
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    x0, x1 = min(xs), max(xs)
    lo, hi = min(0.0, min(ys)), max(ys) * 1.05 or 1.0
    iw, ih = W - PAD_L - PAD_R, H - PAD_T - PAD_B

    def sx(x: float) -> float:
        return PAD_L + (x - x0) / max(x1 - x0, 1) * iw

    def sy(y: float) -> float:
        return PAD_T + ih - (y - lo) / max(hi - lo, 1e-12) * ih

    path = " ".join(f"{'M' if i == 0 else 'L'}{sx(x):.1f},{sy(y):.1f}" for i, (x, y) in enumerate(pts))
    ticks = "".join(
        f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{sy(v):.1f}" y2="{sy(v):.1f}" stroke="#e3e6ea"/>'
        f'<text x="{PAD_L - 6}" y="{sy(v) + 3:.1f}" font-size="10" text-anchor="end">{_nice(v)}</text>'
        for v in (lo, (lo + hi) / 2, hi)
    )
    step = max(1, (x1 - x0) // 6)
    xt = "".join(
        f'<text x="{sx(x):.1f}" y="{H - PAD_B + 14}" font-size="10" text-anchor="middle">{x}</text>'
        for x in range(x0, x1 + 1, step)
    )
    return (
        f'<svg role="img" aria-label="{escape(title)}" viewBox="0 0 {W} {H}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif">{_caption(title, unit, source)}{ticks}{xt}'
        f'<path d="{path}" fill="none" stroke="#1f5fa8" stroke-width="2"/></svg>'
    )


def bar_chart(
    rows: list[tuple[str, float]], title: str, unit: str, source: str, ref: float | None = 1.0
) -> str:
    """Horizontal bars (label, value), with a reference line (LQ = 1)."""
    rows = [(label, v) for label, v in rows if v is not None]
    if not rows:
        return ""
    bar_h, gap = 16, 5
    height = PAD_T + len(rows) * (bar_h + gap) + 30
    left, iw = 200, W - 200 - PAD_R
    hi = max(max(v for _, v in rows), ref or 0) * 1.1 or 1.0
    bars = []
    for i, (label, v) in enumerate(rows):
        y = PAD_T + i * (bar_h + gap)
        w = max(v, 0) / hi * iw
        bars.append(
            f'<text x="{left - 6}" y="{y + 12}" font-size="10" text-anchor="end">{escape(label[:34])}</text>'
            f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="#1f5fa8"/>'
            f'<text x="{left + w + 4:.1f}" y="{y + 12}" font-size="10">{v:.2f}</text>'
        )
    refline = ""
    if ref is not None:
        x = left + ref / hi * iw
        refline = (
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{PAD_T - 4}" y2="{height - 26}" stroke="#c0392b" '
            f'stroke-dasharray="3,3"/><text x="{x + 3:.1f}" y="{PAD_T - 6}" font-size="9" fill="#c0392b">'
            f"{ref:g} = national average</text>"
        )
    cap = (
        f'<text x="8" y="16" font-size="13" font-weight="600">{escape(title)}</text>'
        f'<text x="8" y="29" font-size="10" fill="#5b6472">{escape(unit)}</text>'
        f'<text x="8" y="{height - 6}" font-size="9" fill="#5b6472">Source: {escape(source)}</text>'
    )
    return (
        f'<svg role="img" aria-label="{escape(title)}" viewBox="0 0 {W} {height}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif">{cap}{refline}{"".join(bars)}</svg>'
    )
