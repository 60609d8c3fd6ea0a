"""Draws docs/page.png and docs/page-phone.png: the board's page during the demo (sped up), in headless
Chromium at a desktop's 1680x1000 (one pixel's detail, history and check durations open) and at a phone's 390x844
(the first screen: the verdict, the board, the first cards).

Run: python docs/page.py (needs what the tests need: chromium, chromium-driver, selenium, and the demo extra).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from statusboard.demo.stores import free_port  # noqa: E402
from tests.browser import chrome, why_not  # noqa: E402


def main() -> None:
    if why_not():
        sys.exit(f"docs/page.py: {why_not()}")
    port = free_port()
    demo = subprocess.Popen([sys.executable, "-m", "statusboard", "demo", "--display", "fake", "--speed", "2",
                             "--seconds", "90", "--web-port", str(port)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    driver = None
    try:
        url = f"http://127.0.0.1:{port}/"
        end = time.monotonic() + 60
        while True:
            try:
                if requests.get(url + "api/state", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > end or demo.poll() is not None:
                sys.exit("docs/page.py: the demo's page did not come up")
            time.sleep(0.5)
        time.sleep(16)   # the demo's schedule: instances stopped, alarms raised, a stream starving
        driver = chrome(1680, 1000)
        driver.get(url)
        time.sleep(3)
        driver.find_element("css selector", '.pixel[data-target="api"]').click()
        time.sleep(3)
        driver.save_screenshot(str(ROOT / "docs" / "page.png"))
        driver.set_window_size(390, 844)
        driver.get(url)
        time.sleep(3)
        driver.save_screenshot(str(ROOT / "docs" / "page-phone.png"))
        print("wrote docs/page.png and docs/page-phone.png")
    finally:
        if driver is not None:
            driver.quit()
        demo.terminate()
        demo.wait(30)


if __name__ == "__main__":
    main()
