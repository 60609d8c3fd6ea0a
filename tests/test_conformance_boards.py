"""Every board holds the contract a newcomer relies on (as tests/test_conformance.py holds every kind): registered,
declared whole, its extra installing its library, what install.sh reads; and a new board is one module and one
word."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys

import pytest

from statusboard.controls import ACTIONS
from statusboard.display import registry
from statusboard.display.base import NoControls
from tests.conftest import ROOT
from tests.test_conformance import declared_in, extras


def test_every_display_module_is_registered():
    assert sorted(declared_in("display", "DISPLAY")) == sorted(registry.MODULES + registry.PREVIEWS)
    assert registry.DRIVER_NAMES == registry.MODULES + registry.PREVIEWS
    assert all(registry.driver(m).name == m for m in registry.DRIVER_NAMES), "a display's name is its module's"
    assert all(registry.driver(m).boards for m in registry.MODULES), "MODULES lists the LED boards' displays"
    assert not any(registry.driver(m).boards for m in registry.PREVIEWS), "a preview draws any board"


def test_config_reads_the_boards_without_importing_a_preview():
    code = ("import sys, statusboard.kinds; "
            "print(sorted(m for m in sys.modules if m.startswith('statusboard.display.')))")
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    loaded = {m.rsplit(".", 1)[1] for m in ast.literal_eval(ran.stdout)}
    assert set(registry.MODULES) <= loaded and not loaded & set(registry.PREVIEWS), loaded


@pytest.mark.parametrize("layout", sorted(registry.BOARDS))
def test_a_board_is_declared_whole(layout):
    board = registry.BOARDS[layout]
    driver = registry.DRIVERS[registry.DRIVER_OF[layout]]
    width, height = board.shape
    assert width > 0 and height > 0
    assert board.devices and all(re.fullmatch(r"[A-Z][A-Za-z]+=\S.*", line) for line in board.devices)
    assert set(board.buttons) <= set(ACTIONS), "a button does what controls.ACTIONS says"
    pressed = driver.opens.listen is not NoControls.listen
    assert bool(board.buttons) == pressed, "a board with buttons reports them (listen), one without does not"
    assert driver.name in extras()[board.extra], f"the {board.extra} extra installs the {driver.name} library"


def test_the_install_command_says_what_each_board_needs():
    ran = subprocess.run([sys.executable, "-m", "statusboard.display.boards"], capture_output=True, text=True,
                         cwd=ROOT, timeout=60)
    assert ran.returncode == 0 and ran.stdout.split() == list(registry.BOARDS)
    for layout, board in registry.BOARDS.items():
        ran = subprocess.run(["bash", "-c", f'eval "$({sys.executable} -m statusboard.display.boards {layout})"; '
                              'printf "%s|%s|%s|%s\\n" "$EXTRA" "$SPI" "$NOT_ON_PI5" "$ACCESS"'],
                             capture_output=True, text=True, cwd=ROOT, timeout=60)
        assert ran.stdout == (f"{board.extra}|{'yes' if board.spi else 'no'}|{board.not_on_pi5}|"
                              + "\n".join(board.devices) + "\n")
    wrong = subprocess.run([sys.executable, "-m", "statusboard.display.boards", "lcd"], capture_output=True,
                           text=True, cwd=ROOT, timeout=60)
    assert wrong.returncode == 2 and wrong.stderr == "choose hat, phat, hd or mini\n"


def test_a_new_board_is_one_module_and_one_word(tmp_path):
    """A Blinkt-like strip: its module in display/ and its name on the registry's line reach config, `check`,
    `--display`'s help and what install.sh reads."""
    copy = tmp_path / "src"
    shutil.copytree(ROOT / "statusboard", copy / "statusboard", ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "statusboard/display/strip.py").write_text('''"""An LED strip."""
from statusboard.display.base import Frame, NoControls
from statusboard.display.board import Driver, LedBoard


class StripDisplay(NoControls):
    """Eight LEDs in a row."""

    def __init__(self, settings, **_):
        self.shape = settings.shape

    def show(self, frame: Frame) -> None:
        """Show one frame."""

    def close(self) -> None:
        """Off."""


DISPLAY = Driver("strip", StripDisplay, boards=(
    LedBoard("strip", "LED Strip", (8, 1), extra="strip", devices=("DeviceAllow=char-spi rw",), spi=True),))
''')
    registry_py = copy / "statusboard/display/registry.py"
    text = registry_py.read_text()
    registry_py.write_text(text.replace('MODULES = ("unicornhat",', 'MODULES = ("strip", "unicornhat",', 1))
    (tmp_path / "config.yaml").write_text("display: {layout: strip}\ntargets:\n  a: {pixel: [7, 0], ping: 127.0.0.1}\n")
    env = dict(os.environ, PYTHONPATH=str(copy))
    check = subprocess.run([sys.executable, "-m", "statusboard", "check", "-c", str(tmp_path / "config.yaml")],
                           capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert check.returncode == 0, check.stderr
    assert "on a strip board (8x1), display strip" in check.stdout
    helped = subprocess.run([sys.executable, "-m", "statusboard", "run", "--help"], capture_output=True, text=True,
                            env=dict(env, COLUMNS="200"), cwd=tmp_path, timeout=120)
    assert "strip, unicornhat, unicornhathd" in helped.stdout
    facts = subprocess.run([sys.executable, "-m", "statusboard.display.boards", "strip"], capture_output=True,
                           text=True, env=env, cwd=tmp_path, timeout=120)
    assert "NAME='LED Strip'\nEXTRA=strip\nSPI=yes\n" in facts.stdout
