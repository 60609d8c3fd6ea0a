"""The colour-blind palette, judged as people with each colour vision deficiency see the HAT: the real
`unicornhat` module runs over the recording rpi_ws281x stand-in, and the light on its wire is simulated for
normal vision, deuteranopia, protanopia and tritanopia (colorspacious, severity 100) and compared in CIEDE2000."""

from __future__ import annotations

import itertools
from typing import Dict, Tuple

import pytest

from statusboard.config.display import DisplaySettings
from statusboard.display import light
from statusboard.display.geometry import to_physical
from statusboard.display.unicornhat import UnicornHatDisplay
from statusboard.kinds import STATES
from statusboard.render import colour_of
from statusboard.table import Status
from statusboard.vocabulary import STALE, UNKNOWN, Severity
from tests.conftest import board_from
from tests.display.cvd import NAMES, VISIONS, ciede2000, difference
from tests.display.judge import frame_of
from tests.display.test_unicornhat import hat, wire_by_led  # noqa: F401 - hat is the fixture these tests use

pytest.importorskip("colorspacious", reason="colorspacious is not installed (pip install -e '.[test]')")

DAY, NIGHT = 0.4, 0.05       # the sample config's brightness, and the README's night brightness
APART = 20                   # CIEDE2000: a different colour at a glance (about 2 is just noticeable)
FROM_OFF = 10                # a dim LED still clearly lit: five times what is just noticeable
CONFIG = """
    palette: {palette}
    targets: {{a: {{pixel: [0, 0], ping: 127.0.0.1}}}}
"""


def seen_on_the_hat(hat, board, brightness: float) -> Dict[str, Tuple[int, int, int]]:
    """Every state (and stale, after each state) on its own LED of a HAT: the screen colour of its wire levels."""
    uh, standin = hat
    colours = {state: board.colour(state) for state in STATES if state != STALE}
    colours.update({f"stale after {state}": colour_of(board, Status(STALE, Severity.UNKNOWN, "", 0.0, last=state))
                    for state in STATES if state != STALE})
    places = {name: (i % 8, i // 8) for i, name in enumerate(colours)}
    UnicornHatDisplay(DisplaySettings(), module=uh).show(
        frame_of((8, 8), {places[n]: rgb for n, rgb in colours.items()}, brightness))
    wire = wire_by_led(uh, standin)
    return {name: light.screen(wire[to_physical(*place, "hat", 0)]) for name, place in places.items()}


def severity(board, name: str) -> Severity:
    """A shown state's severity (stale counts as unknown, as the board judges it)."""
    return Severity.UNKNOWN if name.startswith("stale") else board.states[name].severity


def too_close(board, shown: Dict[str, Tuple[int, int, int]]) -> list:
    """Pairs of different severity less than APART for some vision: (difference, a, b, vision)."""
    out = []
    for a, b in itertools.combinations(shown, 2):
        if severity(board, a) is severity(board, b):
            continue
        for vision in VISIONS:
            d = difference(shown[a], shown[b], vision)
            if d < APART:
                out.append((round(d, 1), a, b, NAMES[vision]))
    return sorted(out)


@pytest.mark.parametrize("name", ["colour-blind", "color-blind"])
def test_every_two_severities_stay_apart_under_every_colour_vision(hat, name):
    board = board_from(CONFIG.format(palette=name))
    shown = seen_on_the_hat(hat, board, DAY)
    close = too_close(board, shown)
    assert not close, f"{len(close)} pairs closer than {APART}: {close[:5]}"


def test_the_default_palette_does_not_and_says_so_in_the_readme(hat):
    """Why the colour-blind palette exists: the default's green, amber and red run together (a test that this
    one is needed, and a guard that the README's claim about the default stays true)."""
    board = board_from(CONFIG.format(palette="default"))
    close = too_close(board, seen_on_the_hat(hat, board, DAY))
    assert ("up", "slow", "deuteranopia") in {(a, b, v) for _, a, b, v in close}


@pytest.mark.parametrize("brightness", [DAY, NIGHT])
def test_dim_states_stay_distinct_from_off(hat, brightness):
    board = board_from(CONFIG.format(palette="colour-blind"))
    shown = seen_on_the_hat(hat, board, brightness)
    off = (0, 0, 0)
    dim = {n: rgb for n, rgb in shown.items() if n.startswith("stale") or severity(board, n) is Severity.UNKNOWN}
    assert UNKNOWN in dim and "stale after running" in dim
    for name, rgb in shown.items():
        for vision in VISIONS:
            d = difference(rgb, off, vision)
            assert d >= FROM_OFF, f"{name} at brightness {brightness} is {d:.1f} from off for {NAMES[vision]}"


def test_a_mapping_can_start_from_a_named_palette_and_a_wrong_name_is_named():
    board = board_from(CONFIG.format(palette='{base: colour-blind, down: "#ff00ff"}'))
    assert board.colour("down") == (255, 0, 255)
    assert board.colour("up") == board.colour("running") == board.colour("ok")
    from statusboard.errors import ConfigError
    with pytest.raises(ConfigError) as got:
        board_from(CONFIG.format(palette="colourblind"))
    assert "test.yaml:2: palette: expected a palette's name (default, colour-blind, color-blind)" in str(got.value)
    assert "did you mean 'colour-blind'?" in str(got.value)


def test_ciede2000_matches_its_published_test_data():
    """Sharma, Wu and Dalal (2005), pairs 1, 7, 14 and 25 of their table."""
    for lab1, lab2, expected in [((50, 2.6772, -79.7751), (50, 0, -82.7485), 2.0425),
                                 ((50, 0, 0), (50, -1, 2), 2.3669),
                                 ((50, 2.5, 0), (50, 0, -2.5), 4.3065),
                                 ((50, 2.5, 0), (73, 25, -18), 27.1492)]:
        assert round(ciede2000(lab1, lab2), 4) == expected


def test_check_finds_nothing_dark_or_alike_in_the_colour_blind_palette(tmp_path, capsys):
    from statusboard import cli
    config = tmp_path / "board.yaml"
    config.write_text('display: {brightness: 0.4, night: {from: "22:00", to: "07:00", brightness: 0.01}}\n'
                      'palette: colour-blind\ntargets: {a: {pixel: [0, 0], ping: 127.0.0.1}}\n')
    assert cli.main(["check", "-c", str(config)]) == 0
    assert "warning" not in capsys.readouterr().out
