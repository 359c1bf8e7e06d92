"""Write area profiles: JSON per area (what the API serves), HTML pages, print PDFs and an index.

Layout under the output directory (default ``<data_dir>/reports/profiles``)::

    index.json            every written area: code, name, level, files, data vintage
    index.html            the list with links
    areas/<code>.json     the profile document
    areas/<code>.html     the page
    pdf/<code>.pdf        the page printed by the system Chromium (A4)

Files are written to a temporary name and renamed, so a reader (the API) never sees half a file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from forecasting.chromium import HEADLESS_ARGS, find_chromium
from forecasting.errors import InvestError
from forecasting.profiles import charts
from forecasting.profiles.areas import LEVEL_LABELS, ProfileArea
from forecasting.profiles.build import build_profile
from forecasting.profiles.inputs import ProfileInputs
from forecasting.profiles.insights import shown

TEMPLATES = Path(__file__).parent / "templates"


class ProfileError(InvestError):
    """A profile that cannot be written (no Chromium for the PDF, an unwritable folder)."""


def _atomic_write(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(tmp, mode, **({} if isinstance(data, bytes) else {"encoding": "utf-8"})) as fh:
        fh.write(data)
    os.replace(tmp, path)


def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(shown=shown, unit_label=unit_label)
    return env


def unit_label(f: dict[str, Any]) -> str:
    basis = {"current": ", current prices", "chained_volume": ", chained volume"}.get(
        f.get("price_basis", ""), ""
    )
    return f"{f['unit']}{basis}"


def model_label(doc: dict[str, Any]) -> str:
    m = doc["provenance"].get("model")
    return "none" if not m else f"{m['name']} v{m['version']} (data {m['data_vintage']})"


def render_html(doc: dict[str, Any]) -> str:
    s = doc["sections"]
    a = doc["area"]
    eco_src = ", ".join(sorted({f["source"] for f in s["economy"].get("figures", [])})) or "ONS"
    hist = doc.get("history", {})
    chart = {
        "gva": charts.line_chart(
            hist.get("gva_cp", []), f"GVA, {a['name']}", "GBP million, current prices", eco_src
        ),
        "population": charts.line_chart(
            hist.get("population", []), f"Population, {a['name']}", "persons", eco_src
        ),
        "clusters": "",
    }
    if s["clusters"].get("status") == "ok":
        rows = [(r["name"], r["lq"]) for r in s["clusters"]["rows"][:10]]
        chart["clusters"] = charts.bar_chart(
            rows,
            f"Cluster specialisation, {', '.join(s['clusters']['geographies'])}",
            f"location quotient of employment vs Great Britain, {s['clusters']['year']}",
            s["clusters"]["source"],
        )
    return (
        _env()
        .get_template("profile.html.j2")
        .render(
            a=a,
            s=s,
            prov=doc["provenance"],
            insights=doc["insights"],
            charts=chart,
            model_label=model_label(doc),
        )
    )


def write_profiles(
    inputs: ProfileInputs,
    areas: Iterable[ProfileArea],
    out: Path,
    bundle: Any | None = None,
    *,
    pdf: bool = True,
    progress: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """Build and write each area's profile; returns the index rows (merged with any already written)."""
    out = Path(out)
    generated = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    written: list[dict[str, Any]] = []
    docs: list[dict[str, Any]] = []
    for area in areas:
        doc = build_profile(inputs, area, bundle, generated_at=generated)
        _atomic_write(
            out / "areas" / f"{area.code}.json", json.dumps(doc, ensure_ascii=False, allow_nan=False)
        )
        _atomic_write(out / "areas" / f"{area.code}.html", render_html(doc))
        docs.append(doc)
        written.append(
            {
                "code": area.code,
                "name": area.name,
                "level": area.level,
                "level_label": LEVEL_LABELS[area.level],
                "midlands": area.midlands,
                "pdf": False,
            }
        )
        if progress:
            progress(area.code)
    if pdf and written:
        print_pdfs(out, [w["code"] for w in written], docs)
        for w in written:
            w["pdf"] = True
    index = _merge_index(out, written, inputs.data_vintage, docs[0] if docs else None, generated)
    return index


def _merge_index(
    out: Path,
    written: list[dict[str, Any]],
    vintage: str | None,
    sample: dict[str, Any] | None,
    generated: str,
) -> list[dict[str, Any]]:
    path = out / "index.json"
    rows: dict[str, dict[str, Any]] = {}
    if path.is_file():
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
            if old.get("data_vintage") == vintage:
                rows = {r["code"]: r for r in old.get("areas", [])}
        except (json.JSONDecodeError, KeyError, TypeError):
            rows = {}
    rows.update({r["code"]: r for r in written})
    order = {lv: i for i, lv in enumerate(LEVEL_LABELS)}
    ordered = sorted(rows.values(), key=lambda r: (not r["midlands"], order.get(r["level"], 9), r["name"]))
    label = model_label(sample) if sample else "none"
    index = {"data_vintage": vintage, "generated_at": generated, "model": label, "areas": ordered}
    _atomic_write(path, json.dumps(index, ensure_ascii=False, allow_nan=False))
    html = (
        _env()
        .get_template("index.html.j2")
        .render(rows=ordered, data_vintage=vintage, model_label=label, generated_at=generated)
    )
    _atomic_write(out / "index.html", html)
    return ordered


def print_pdfs(out: Path, codes: list[str], docs: list[dict[str, Any]]) -> None:
    """Print each written page to ``pdf/<code>.pdf`` in one headless Chromium session."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    executable = find_chromium("or write the profiles without PDFs (`invest profiles --no-pdf`)")
    (out / "pdf").mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=executable, args=list(HEADLESS_ARGS))
            try:
                page = browser.new_page()
                page.on(
                    "console",
                    lambda m: failures.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
                )
                for code, doc in zip(codes, docs, strict=True):
                    page.goto((out / "areas" / f"{code}.html").resolve().as_uri(), wait_until="load")
                    tmp = out / "pdf" / f".{code}.pdf.tmp"
                    page.pdf(
                        path=str(tmp),
                        format="A4",
                        print_background=True,
                        display_header_footer=True,
                        header_template="<div></div>",
                        footer_template=_footer(doc),
                        margin={"top": "10mm", "bottom": "14mm", "left": "10mm", "right": "10mm"},
                        tagged=True,  # accessible PDF: structure and reading order for screen readers
                        outline=True,  # the headings as PDF bookmarks
                    )
                    os.replace(tmp, out / "pdf" / f"{code}.pdf")
            finally:
                browser.close()
    except PlaywrightError as exc:
        raise ProfileError(f"printing the profile PDFs failed: {exc}") from None
    if failures:
        raise ProfileError("the profile pages logged errors while printing: " + "; ".join(failures[:5]))


def _footer(doc: dict[str, Any]) -> str:
    a, prov = doc["area"], doc["provenance"]
    line = escape(
        f"{a['name']} ({a['code']}) area profile · data vintage {prov['data_vintage']} · "
        f"forecasts {model_label(doc)} · generated {prov['generated_at']}"
    )
    return (
        '<div style="font-size:6px;width:100%;margin:0 10mm;color:#5b6472;font-family:sans-serif;'
        f'display:flex;justify-content:space-between"><span>{line}</span>'
        '<span>page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>'
    )
