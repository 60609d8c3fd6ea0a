"""A real browser for the page's tests: Debian's Chromium, headless, driven by Selenium through Debian's
chromedriver (nothing is downloaded: Selenium Manager runs offline)."""

from __future__ import annotations

import os
import shutil
from typing import Any, Optional

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def snap_stub(path: str) -> bool:
    """Whether path is Ubuntu's stand-in for the chromium snap (a script that hands over to /snap/) on a
    machine where that snap cannot run."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(8192)
    except OSError:
        return False
    return head.startswith(b"#!") and b"snap" in head and not os.access("/snap/bin/chromium", os.X_OK)


def why_not() -> Optional[str]:
    """None when a headless Chromium can be driven here, else why not."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (the test extra installs it)"
    stubs = [path for path in (CHROMIUM, "/usr/bin/chromium-browser", DRIVER) if snap_stub(path)]
    if stubs:
        return (f"{', '.join(stubs)} {'is' if len(stubs) == 1 else 'are'} Ubuntu's stand-in for the chromium snap, "
                "which cannot run here (no snapd): "
                "install the chromium snap with snapd running, or a Chromium that is no snap")
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")) or not os.path.exists(DRIVER):
        return "chromium and chromium-driver are not installed (tests/run.sh installs Debian's packages)"
    return None


def chrome(width: int = 1280, height: int = 900) -> Any:
    """A headless Chromium of this window size."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    os.environ["SE_OFFLINE"] = "true"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--disable-extensions", f"--window-size={width},{height}"):
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=Service(DRIVER))
