"""The system Chromium (Debian ``chromium``), never a downloaded browser: where it is and how it starts.

One place for the binary lookup and the headless flags that the PDF printer, the report check, the
screenshot script and the browser tests share, so a flag that keeps Chromium quiet offline is set once.
"""

from __future__ import annotations

import shutil

from forecasting.errors import InvestError

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome")
# Headless, no sandbox (containers run as root), and nothing that phones home or updates itself.
HEADLESS_ARGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


class ChromiumNotFound(InvestError):
    """No system Chromium on the PATH."""


def find_chromium(purpose: str = "") -> str:
    """The path of the system Chromium; the error says how to install it (and ``purpose``'s way round)."""
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    hint = f"; {purpose}" if purpose else ""
    raise ChromiumNotFound(
        f"no Chromium found: install the system browser (`apt-get install -y chromium`){hint}"
    )
