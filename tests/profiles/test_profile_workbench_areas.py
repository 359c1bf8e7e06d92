"""The workbench's area profiles view in Debian's headless Chromium against a real `invest serve`: a partner
types a place name, opens the profile and reads the published figure with its source."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from forecasting.chromium import HEADLESS_ARGS
from forecasting.profiles.areas import resolve_area
from forecasting.profiles.inputs import ProfileInputs
from forecasting.profiles.publish import write_profiles

pytestmark = pytest.mark.slow
sys.path.insert(0, str(Path(__file__).parents[1] / "service"))


@pytest.fixture(scope="module")
def base(profile_inputs: ProfileInputs, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from svc_server import serve

    root = tmp_path_factory.mktemp("wb-areas")
    areas = [resolve_area(a) for a in ("Birmingham", "Derby", "E47000007")]
    write_profiles(profile_inputs, areas, root / "reports" / "profiles", pdf=False)
    env = {"INVEST_DATA_DIR": str(root), "INVEST_TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}"}
    with serve(env) as url:
        yield url


def test_search_a_place_name_and_read_its_profile(base: str) -> None:
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    offsite: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=list(HEADLESS_ARGS))
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("pageerror", lambda e: errors.append(str(e)))

            def gate(route):  # noqa: ANN001
                if route.request.url.startswith(base):
                    route.continue_()
                else:
                    offsite.append(route.request.url)
                    route.abort()

            page.route("**/*", gate)
            page.goto(f"{base}/app#areas")
            page.fill("#area-search", "birm")
            page.get_by_role("button", name="Birmingham (Local authority, E08000025)").click()
            page.wait_for_selector("#area-profile h2:has-text('Birmingham')")
            text = page.inner_text("#area-profile")
            assert "£35,427m" in text and "ons_la_gdp_2025" in text  # the published 2023 GVA and its source
            assert "Key insights" in text and "Similar areas" in text
            assert (
                page.get_attribute("a:has-text('Profile (PDF)')", "href") == "/v1/areas/E08000025/profile.pdf"
            )
            page.fill("#area-search", "Lincolnshire")
            page.press("#area-search", "Enter")
            page.wait_for_selector("#area-profile :text('invest profiles --area E10000019')")
            page.goto(f"{base}/app#areas/E47000007")
            page.wait_for_selector("#area-profile h2:has-text('West Midlands')")
            assert "sum of its 7 member districts" in page.inner_text("#area-profile")
        finally:
            browser.close()
    assert not errors, errors
    assert not offsite, offsite
