"""Fixtures for bundle tests."""

from __future__ import annotations

import pytest
from bundle_tiny import tiny_contents

from forecasting.registry.contents import BundleContents


@pytest.fixture()
def contents() -> BundleContents:
    return tiny_contents()
