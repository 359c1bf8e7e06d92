"""Print the scorecard report to PDF with headless Chromium (Playwright, the system browser).

Why print the HTML rather than draw a PDF separately: the PDF is then the same document as the web report,
from the same templates and numbers. ``scorecards.pdf`` holds the summary, rank intervals and robustness,
the methodology and one page per cluster (``print.html``); ``pdf/<id>.pdf`` is each cluster page on its own
(``clusters/<id>.html``). Chromium's footer adds the data vintage, model and page number to every page.
Playwright drives the Debian ``chromium`` binary; no browser is downloaded.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from forecasting.chromium import HEADLESS_ARGS, find_chromium
from forecasting.scorecards.catalogue import ScorecardError

MARGIN = {"top": "10mm", "bottom": "15mm", "left": "10mm", "right": "10mm"}


def footer_template(doc: dict[str, Any]) -> str:
    """Every printed page: data vintage, model, reference years, sources, units and the page number."""
    from forecasting.scorecards.report import page_context

    ctx = page_context(doc)
    prov = doc["provenance"]
    line1 = html.escape(
        f"Midlands cluster investment-potential scorecards · data vintage {prov['data_vintage']} · "
        f"forecasts {ctx['model_label']} · generated {prov['generated_at']}"
    )
    line2 = html.escape(
        f"Reference years: {ctx['reference_text']}. Sources: {ctx['sources_text']}. "
        f"Units as stated per metric; scores 0-100; ranks of {len(doc['clusters'])} (1 = highest)."
    )
    return (
        '<div style="font-size:6px;width:100%;margin:0 10mm;color:#5b6472;font-family:sans-serif">'
        '<div style="display:flex;justify-content:space-between">'
        f'<span>{line1}</span><span>page <span class="pageNumber"></span> of <span class="totalPages"></span></span>'
        f"</div><div>{line2}</div></div>"
    )


def render_pdfs(out_dir: Path, doc: dict[str, Any], *, clusters: bool = True) -> dict[str, Path]:
    """Print ``print.html`` to ``scorecards.pdf`` and each cluster page to ``pdf/<id>.pdf``."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    out_dir = Path(out_dir)
    source = out_dir / "print.html"
    if not source.is_file():
        raise ScorecardError(f"{source} not found: render the report before printing it")
    executable = find_chromium("or write the report without PDFs (`invest scorecards --no-pdf`)")
    (out_dir / "pdf").mkdir(exist_ok=True)
    files: dict[str, Path] = {}
    failures: list[str] = []
    options = {
        "format": "A4",
        "print_background": True,
        "display_header_footer": True,
        "header_template": "<div></div>",
        "footer_template": footer_template(doc),
        "margin": MARGIN,
        "tagged": True,  # accessible PDF: headings, tables and reading order for screen readers
        "outline": True,  # the headings as PDF bookmarks
    }
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=executable, args=list(HEADLESS_ARGS))
            try:
                page = browser.new_page()
                page.on("requestfailed", lambda r: failures.append(f"{r.url}: {r.failure}"))
                page.on(
                    "console",
                    lambda m: failures.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
                )
                page.goto(source.resolve().as_uri(), wait_until="load")
                files["pdf"] = out_dir / "scorecards.pdf"
                page.pdf(path=str(files["pdf"]), **options)
                for c in doc["clusters"] if clusters else []:
                    page.goto(
                        (out_dir / "clusters" / f"{c['id']}.html").resolve().as_uri(), wait_until="load"
                    )
                    target = out_dir / "pdf" / f"{c['id']}.pdf"
                    page.pdf(path=str(target), **options)
                    files[f"pdf:{c['id']}"] = target
            finally:
                browser.close()
    except PlaywrightError as exc:
        raise ScorecardError(f"printing the scorecard PDFs with {executable} failed: {exc}") from exc
    if failures:
        raise ScorecardError("the printed report did not load cleanly: " + "; ".join(failures[:5]))
    return files
