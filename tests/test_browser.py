"""The board's page in a real browser (headless Chromium): every pixel as the state file says, a change within
a second, the detail on hover, a phone's width without sideways scrolling, and hostile text that stays text."""

from __future__ import annotations

import json
import time

import pytest
import requests

from tests import browser
from tests.conftest import wait_for
from tests.servers import Switch
from tests.test_web import Running

pytestmark = pytest.mark.skipif(browser.why_not() is not None, reason=str(browser.why_not()))


def rgb_of(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, 1)"


def cells(driver):
    return {c.get_attribute("data-target"): c for c in driver.find_elements("css selector", ".pixel[data-target]")}


@pytest.fixture
def driver():
    chrome = browser.chrome()
    yield chrome
    chrome.quit()


def test_the_page_shows_every_pixel_as_the_board_does_and_follows_a_change(driver):
    site = Switch(200)
    try:
        with Running(f"site: {{pixel: [0, 0], http: '{site.url}'}}",
                     "gone: {pixel: [2, 1], http: 'http://127.0.0.1:1/'}") as board:
            wait_for(lambda: board.state("site") == "up" and board.state("gone") == "down", what="checked")
            driver.get(board.url + "/")
            wait_for(lambda: len(cells(driver)) == 2, what="the pixels drawn")
            grid = driver.find_elements("css selector", "#board .pixel")
            assert len(grid) == 64, "the whole 8×8 board, empty pixels too"
            assert grid[0].get_attribute("data-target") == "site" and grid[8 + 2].get_attribute("data-target") == "gone"
            page = requests.get(board.url + "/events", stream=True, timeout=5)
            doc = json.loads(next(line for line in page.iter_lines() if line.startswith(b"data: "))[6:])
            page.close()
            for target in doc["targets"]:
                cell = cells(driver)[target["name"]]
                assert cell.value_of_css_property("background-color") == rgb_of(target["seen"])
                assert cell.get_attribute("aria-label") == f"{target['name']}: {target['state']}"
                assert cell.text == target["letter"], "the state's letter as well as its colour"
            legend = dict(driver.execute_script(
                "return [...document.querySelectorAll('#legend tbody tr')].map("
                "r => [r.cells[1].textContent, r.cells[0].lastChild.textContent])"))
            assert legend == {"site": "up", "gone": "down"}, "every pixel's state in words"

            site.status = 503
            wait_for(lambda: board.state("site") == "down", what="down on the board")
            shown = time.monotonic()
            wait_for(lambda: cells(driver)["site"].get_attribute("data-state") == "down", timeout=5,
                     what="down on the page")
            assert time.monotonic() - shown < 1.0, "a change shows on the page within a second"

            from selenium.webdriver import ActionChains
            ActionChains(driver).move_to_element(cells(driver)["gone"]).perform()
            wait_for(lambda: driver.find_element("id", "detail-name").text == "gone", what="the detail on hover")
            assert driver.find_element("id", "detail-text").text == "connection refused"
            assert driver.find_element("id", "detail-age").text.startswith("result ")
            wait_for(lambda: driver.find_elements("css selector", "#strip span"), what="its 24-hour strip")
    finally:
        site.stop()


def test_a_phone_width_has_no_sideways_scrolling(driver):
    site = Switch(200)
    try:
        names = [f"a-rather-long-target-name-{i}" for i in range(16)]
        with Running(*[f"{n}: {{pixel: [{i % 8}, {i // 8}], http: 'http://127.0.0.1:1/{'x' * 120}'}}"
                       for i, n in enumerate(names)]) as board:
            wait_for(lambda: all(board.state(n) == "down" for n in names), what="checked")
            driver.set_window_size(360, 740)
            driver.get(board.url + "/")
            wait_for(lambda: len(cells(driver)) == 16, what="the pixels drawn")
            cells(driver)[names[3]].click()
            wide = driver.execute_script("return [document.documentElement.scrollWidth, "
                                         "document.documentElement.clientWidth]")
            assert wide[0] <= wide[1], f"the page is {wide[0]} px wide in a {wide[1]} px window"
            assert driver.execute_script("return getComputedStyle(document.querySelector('#legend tbody tr'))"
                                         ".display") == "grid", "rows read as cards"
            split = driver.execute_script("""const split = [];
                for (const cell of document.querySelectorAll('#legend td.name'))
                  for (const node of cell.childNodes) {
                    if (node.nodeType !== 3 || !node.textContent.trim()) continue;
                    const range = document.createRange(); range.selectNodeContents(node);
                    const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
                    if (lines.size > 1) split.push(node.textContent);
                  }
                return split;""")
            assert split == [], "names break after - _ . / : only, never mid-word"
            assert driver.find_element("id", "verdict").location["y"] < 100, "the verdict first"
            for width in (800, 1000, 1280, 1920):
                driver.set_window_size(width, 900)
                time.sleep(0.5)
                wide = driver.execute_script("return [document.documentElement.scrollWidth, "
                                             "document.documentElement.clientWidth]")
                assert wide[0] <= wide[1], f"the page is {wide[0]} px wide in a {wide[1]} px window"
    finally:
        site.stop()


def test_hostile_text_from_outside_stays_text(driver):
    payloads = ["<script>document.title='pwned-script'</script>",
                "<img src=x onerror=\"document.title='pwned-img'\">",
                "javascript:document.title='pwned-link'",
                "\x1b[31mred\x1b[0m"]
    site = Switch(200, json.dumps({"status": " ".join(payloads)}).encode())
    try:
        hostile = '"<img src=y onerror=document.title=1>"'
        with Running(f"site: {{pixel: [0, 0], http: {{url: '{site.url}', json: {{path: status, equals: "
                     "{ok: up}}}}", f"{hostile}: {{pixel: [1, 0], http: 'http://127.0.0.1:1/'}}") as board:
            wait_for(lambda: board.state("site") == "unknown", what="checked")
            driver.get(board.url + "/")
            wait_for(lambda: len(cells(driver)) == 2, what="the pixels drawn")
            cells(driver)["site"].click()
            wait_for(lambda: "pwned" in driver.find_element("id", "detail-text").text, what="the detail shown")
            time.sleep(0.5)
            assert "pwned" not in driver.title and driver.title.endswith(" · statusboard"), "no script from outside ran"
            assert not driver.find_elements("css selector", "main img, main script"), "no element from outside"
            assert "<script>" in driver.find_element("id", "detail-text").text, "shown as text"
            assert "<img src=y" in driver.find_element("css selector", "#legend tbody").text
    finally:
        site.stop()
