"""The API's CSV export escapes formula-like text cells (= + - @ at the start) as the CLI does."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from svc_synthetic import make_contents

from forecasting.settings import ApiSettings
from service.app import create_app
from service.lifecycle import StaticSource

EVIL = '=HYPERLINK("http://x","click")'


def test_csv_export_escapes_formula_like_cells() -> None:
    contents = make_contents()
    cat = contents.catalogue
    cat.loc[cat["geography"] == "TLG3", "geography_name"] = EVIL
    cat.loc[cat["geography"] == "TLF", "geography_name"] = "@SUM(A1:A2)"
    with TestClient(create_app(ApiSettings(), StaticSource(contents))) as c:
        r = c.get("/v1/forecasts", params={"format": "csv"})
        assert r.status_code == 200
        rows = list(csv.DictReader(io.StringIO(r.text)))
        names = {row["geography_name"] for row in rows}
        assert "'" + EVIL in names and "'@SUM(A1:A2)" in names and "West Midlands" in names
        assert not any(v.startswith(("=", "+", "@")) for row in rows for v in row.values())
        assert any(float(row["mean"]) == float(row["mean"]) for row in rows)  # numbers stay numbers
        j = c.get("/v1/forecasts").json()  # JSON is data, not a spreadsheet: unchanged
        assert EVIL in {row["geography_name"] for row in j["rows"]}
