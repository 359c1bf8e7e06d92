"""Written profiles: JSON, HTML and an index; the print PDFs through the system Chromium (slow)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forecasting.profiles.areas import resolve_area
from forecasting.profiles.inputs import ProfileInputs
from forecasting.profiles.publish import write_profiles


def test_json_html_and_index_are_written_and_merged(profile_inputs: ProfileInputs, tmp_path: Path) -> None:
    write_profiles(profile_inputs, [resolve_area("Derby")], tmp_path, pdf=False)
    index = write_profiles(profile_inputs, [resolve_area("Lincolnshire")], tmp_path, pdf=False)
    assert [r["code"] for r in index] == ["E10000019", "E06000015"]  # county before district, both kept
    doc = json.loads((tmp_path / "areas" / "E06000015.json").read_text())
    assert doc["area"]["name"] == "Derby"
    html = (tmp_path / "areas" / "E06000015.html").read_text()
    assert "Key insights" in html and "Derby" in html
    for sentence in doc["insights"]:
        assert sentence["text"].replace("'", "&#39;") in html
    assert "nan" not in html.lower().replace("nant", "").replace("financ", "").replace("nanc", "")
    assert "<svg" in html and "Source:" in html  # charts carry their source
    assert json.loads((tmp_path / "index.json").read_text())["data_vintage"] == profile_inputs.data_vintage


@pytest.mark.slow
def test_pdfs_print_one_file_per_area_with_pages(profile_inputs: ProfileInputs, tmp_path: Path) -> None:
    from pypdf import PdfReader

    areas = [resolve_area("Birmingham"), resolve_area("E47000007")]
    index = write_profiles(profile_inputs, areas, tmp_path, pdf=True)
    assert all(r["pdf"] for r in index)
    for a in areas:
        reader = PdfReader(str(tmp_path / "pdf" / f"{a.code}.pdf"))
        assert len(reader.pages) >= 1
        text = "".join(p.extract_text() for p in reader.pages)
        assert a.name in text and "Key insights" in text
        root = reader.trailer["/Root"]  # tagged (accessible) PDF: structure tree, marked content
        assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"], a.code
