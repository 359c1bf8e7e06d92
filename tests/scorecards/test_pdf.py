"""Print-ready scorecards: PDFs printed by headless Chromium (Playwright) from the report's HTML."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

pytestmark = pytest.mark.slow
CLUSTER_PAGE = (
    "investment-potential scorecard · data vintage"  # a cluster page's header (the footer says scorecards)
)


@pytest.fixture(scope="module")
def printed(built, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    from forecasting.scorecards.publish import publish

    if shutil.which("chromium") is None:
        pytest.fail(
            "Debian chromium is required to print the PDFs: apt-get install -y chromium (.ci/run does)"
        )
    sset, _ = built
    out = tmp_path_factory.mktemp("printed")
    files = publish(sset, out, pdf=True)
    assert files["pdf"] == out / "scorecards.pdf"
    return json.loads((out / "scorecards.json").read_text()), out


def _texts(path: Path) -> list[str]:
    return [" ".join((p.extract_text() or "").split()) for p in PdfReader(path).pages]


def test_board_pack_has_summary_methodology_and_one_page_per_cluster(printed) -> None:
    doc, out = printed
    pages = _texts(out / "scorecards.pdf")
    assert len(pages) >= 25 + 3
    assert "Investment potential of the 25 Midlands clusters" in pages[0]
    assert any(p.startswith("Methodology") or "How the scores are built" in p for p in pages[:5])
    first = next(i for i, p in enumerate(pages) if CLUSTER_PAGE in p)
    cluster_pages = pages[first:]
    assert len(cluster_pages) == 25 and all(CLUSTER_PAGE in p for p in cluster_pages)  # one page each
    for r, page in zip(doc["ranking"], cluster_pages, strict=True):
        assert page.startswith(f"{r['name']} · rank {r['rank']} of 25 · score {r['score']:.1f}"), page[:80]
        c = next(c for c in doc["clusters"] if c["id"] == r["id"])
        assert c["stars"]["label"] in page  # "Size ★ · Specialisation ☆ · Focus ★ · Momentum –"
        assert "Licensed data preview: synthetic demo data, not used in any score" in page


def test_every_page_states_vintage_sources_units_and_reference_years(printed) -> None:
    doc, out = printed
    for i, page in enumerate(_texts(out / "scorecards.pdf")):
        assert "data vintage v-test" in page, i
        assert re.search(r"page \d+ of \d+", page), i
        assert "Reference years: Employment and industry structure 2021" in page, i
        assert "Sources: ONS BRES" in page and "Units as stated per metric" in page, i
        if CLUSTER_PAGE in page:
            assert "% a year" in page and "GBP per job" in page, i


def test_one_pdf_per_cluster_served_by_the_api(printed) -> None:
    from fastapi.testclient import TestClient
    from scorecard_world import make_bundle

    from forecasting.settings import ApiSettings
    from service.app import create_app
    from service.lifecycle import StaticSource

    doc, out = printed
    for c in doc["clusters"]:
        pages = _texts(out / "pdf" / f"{c['id']}.pdf")
        assert len(pages) == 1 and pages[0].startswith(c["name"]), c["id"]
    for path in [out / "scorecards.pdf", out / "pdf" / "automotive.pdf"]:  # tagged (accessible) PDFs
        root = PdfReader(path).trailer["/Root"]
        assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"], path.name
        assert "/Outlines" in root or path.name != "scorecards.pdf"  # bookmarks from the headings
    app = create_app(ApiSettings(), StaticSource(make_bundle(), version="7"))
    app.state.service.settings.scorecards_dir = out
    with TestClient(app) as client:
        r = client.get("/v1/clusters/automotive.pdf")
        assert r.status_code == 200 and r.content == (out / "pdf" / "automotive.pdf").read_bytes()
        assert client.get("/v1/clusters/scorecards.pdf").content[:5] == b"%PDF-"


def test_printed_html_loads_cleanly_in_chromium(printed) -> None:
    from forecasting.scorecards.check_report import check_report

    _, out = printed
    results = check_report(out, max_cluster_pages=1)
    assert all(not r.errors for r in results), [r.errors for r in results]
