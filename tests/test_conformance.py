"""Every kind and every board holds the contract a newcomer relies on (as hassfest checks every Home Assistant
integration): registered, declared whole, its identity named, no secret in what it says, its letters its own,
its library installable by the extra it names; and a new kind or board is one module and one word."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

try:
    import tomllib
except ImportError:   # Python before 3.11
    tomllib = None

from statusboard.controls import ACTIONS
from statusboard.display import registry
from statusboard.display.base import NoControls
from statusboard.kinds import KINDS, MODULES, STATES, register
from statusboard.kinds.kind import Check, Context, Source, refusal
from statusboard.vocabulary import BOARD_STATES
from tests.conftest import ROOT, board_from

SECRET = "pw-s3cret"
# One target of each kind, with a password wherever the kind can hold one: a kind added to kinds/ adds its line.
EXAMPLES = {
    "http": f"{{url: 'https://ops:{SECRET}@status.example.com/health', json: {{path: status, equals: {{ok: up}}}}}}",
    "ping": "{host: gateway.example.com, count: 2}",
    "ec2": "{tags: {role: web, env: prod}, region: eu-west-1, profile: ops}",
    "cloudwatch": "{prefix: 'api-', region: eu-west-1}",
    "metric": "{namespace: AWS/Lambda, name: Errors, stat: Sum, period: 1m, above: {warn: 1, critical: 5}}",
    "ivs": "{channel: main-stage, region: eu-west-1}",
    "mqtt": "{topic: home/door, payload: {open: up, closed: down}}",
    "prometheus": f"{{url: 'http://ops:{SECRET}@127.0.0.1:9090', query: 'up', below: {{warn: 1, critical: 1}}}}",
    "influxdb": "{url: 'http://127.0.0.1:8086', database: db, query: 'SELECT last(v) FROM m', "   # never in its url
                "credentials: /etc/statusboard/influx, above: {warn: 1, critical: 2}}",
}


def declared_in(package: str, name: str):
    """The modules of a package that declare `name` at their top (read from the source, nothing imported)."""
    found = []
    for path in sorted((ROOT / "statusboard" / package).glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
               for node in tree.body):
            found.append(path.stem)
    return found


def example(key: str):
    """The target of the kind's example, parsed by the board as config.yaml would be."""
    if key not in EXAMPLES:
        pytest.fail(f"kind {key!r} has no example: add one target of it to EXAMPLES in tests/test_conformance.py")
    mqtt = "mqtt: {url: 'mqtt://127.0.0.1:1883'}\n" if KINDS[key].needs else ""
    return board_from(f"{mqtt}targets:\n  t: {{pixel: [0, 0], {key}: {EXAMPLES[key]}}}\n").targets[0]


def extras():
    """pyproject's extras: name -> the distribution names it requires, normalised."""
    if tomllib is None:
        pytest.skip("tomllib is Python 3.11's: pyproject.toml is read with it")
    doc = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {name: {re.split(r"[\s<>=!~;\[]", r, 1)[0].lower().replace("_", "-") for r in reqs}
            for name, reqs in doc["project"]["optional-dependencies"].items()}


# Kinds


def test_every_kind_module_is_registered_and_every_registered_kind_has_its_module():
    assert sorted(declared_in("kinds", "KIND")) == sorted(MODULES)
    assert all(KINDS[m].key == m for m in MODULES), "a kind's key is its module's name"


@pytest.mark.parametrize("key", sorted(KINDS))
def test_a_kind_declares_its_identity(key):
    kind = KINDS[key]
    assert refusal(kind, f"statusboard.kinds.{key}") is None
    names = {f.name for f in dataclasses.fields(kind.spec)}
    assert kind.spec.identity and set(kind.spec.identity) <= names


@pytest.mark.parametrize("key", sorted(KINDS))
def test_a_kinds_fingerprint_changes_with_every_identity_field_and_no_other(key):
    target = example(key)
    assert isinstance(target.spec, KINDS[key].spec)
    for f in dataclasses.fields(target.spec):
        changed = dataclasses.replace(target, spec=dataclasses.replace(target.spec, **{f.name: f"other {f.name}"}))
        if f.name in target.spec.identity:
            assert changed.fingerprint != target.fingerprint, f"{key}.{f.name} names what is watched"
        else:
            assert changed.fingerprint == target.fingerprint, f"{key}.{f.name} says how it is judged"


@pytest.mark.parametrize("key", sorted(KINDS))
def test_a_kinds_parser_takes_its_section_and_key_and_nothing_it_never_uses(key):
    # The board's states reach a parser that needs them (a value naming a state) through the section.
    assert list(inspect.signature(KINDS[key].parse).parameters) == ["parent", "key"]


@pytest.mark.parametrize("key", sorted(KINDS))
def test_a_kind_reads_a_targets_spec_as_its_own_class_and_no_other_kinds(key):
    target = example(key)
    assert KINDS[key].spec_of(target) is target.spec
    other = example("ping" if key != "ping" else "http")
    with pytest.raises(TypeError, match=f"target 't' \\({other.kind}\\) holds a {type(other.spec).__name__}"):
        KINDS[key].spec_of(other)


def test_a_value_that_names_a_state_may_name_any_the_board_knows():
    # `alarm` is cloudwatch's: http's equals and mqtt's payload map to it as to their own states.
    board = board_from("mqtt: {url: 'mqtt://127.0.0.1:1883'}\ntargets:\n"
                       "  a: {pixel: [0, 0], http: {url: 'http://h/', json: {path: s, equals: {bad: alarm}}}}\n"
                       "  b: {pixel: [1, 0], mqtt: {topic: t, payload: {BAD: alarm}}}\n")
    assert board.targets[0].spec.json.equals == (("bad", "alarm"),)
    assert board.targets[1].spec.payload == (("BAD", "alarm"),)


@pytest.mark.parametrize("key", sorted(KINDS))
def test_how_a_kind_is_run_follows_from_what_it_makes(key):
    # No flag to keep true: the scheduler batches a BatchCheck's targets and leaves a Source's alone.
    made = KINDS[key].make(Context())
    assert isinstance(made, (Check, Source)), f"{key} makes neither a Check, a BatchCheck nor a Source"
    assert not (isinstance(made, Check) and isinstance(made, Source)), f"{key}: polled or pushed, not both"


@pytest.mark.parametrize("key", sorted(KINDS))
def test_a_kinds_description_holds_no_secret(key):
    target = example(key)
    said = target.spec.describe()
    assert said and SECRET not in said, said


def test_every_state_has_a_letter_of_its_own():
    """One letter per state, and no two that differ only by case (O/o, S/s): a key people can read."""
    states = defaultdict(set)
    for kind in list(KINDS.values()):
        for name, info in kind.states.items():
            states[name].add(info.letter)
    for name, info in BOARD_STATES.items():
        states[name].add(info.letter)
    assert {n: ls for n, ls in states.items() if len(ls) > 1} == {}, "one state, one letter, in every kind"
    letters = defaultdict(list)
    for name, info in STATES.items():
        letters[info.letter.lower()].append(name)
    assert {letter: names for letter, names in letters.items() if len(names) > 1} == {}


@pytest.mark.parametrize("key", sorted(k for k in KINDS if KINDS[k].library))
def test_a_kinds_library_comes_with_the_extra_it_names(key):
    module, how = KINDS[key].library
    named = re.findall(r"statusboard\[([a-z0-9_-]+)\]", how)
    assert named, f"{key}: how to install {module} names no extra: {how!r}"
    from importlib.metadata import packages_distributions
    providers = {d.lower().replace("_", "-") for d in packages_distributions().get(module.split(".")[0], [])}
    assert providers, f"{module} is not installed here (tests/run.sh installs every kind's library)"
    for extra in named:
        assert providers & extras()[extra], f"{key}: the {extra} extra does not install {module}"


# Boards


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


# A new one


def _package(tmp_path: Path, name: str, text: str) -> str:
    """A package of one module on sys.path, for the registry to load."""
    package = tmp_path / f"newcomer_{name}"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / f"{name}.py").write_text(text)
    return package.name


def test_a_kind_without_an_identity_is_refused_by_name_when_the_registry_loads(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    package = _package(tmp_path, "tcp", '''
from dataclasses import dataclass
from statusboard.kinds.kind import Kind

@dataclass(frozen=True)
class TcpSpec:
    host: str
    port: int

    def describe(self) -> str:
        return f"{self.host}:{self.port}"

KIND = Kind(key="tcp", spec=TcpSpec, parse=lambda sec, key: None, make=lambda context: None)
''')
    with pytest.raises(TypeError) as refused:
        register(("tcp",), package=package)
    assert str(refused.value).startswith(f"kind 'tcp' ({package}.tcp): its spec TcpSpec declares no identity")
    assert list(register(("http",))) == ["http"]


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


# What a kind declares reaches the rest of the house (nothing outside kinds/ names a kind)


def test_the_section_a_kind_needs_asks_for_the_kinds_library(tmp_path):
    """The MQTT broker's section needs the library the mqtt kind declares, told as the kind tells it."""
    config = tmp_path / "config.yaml"
    config.write_text("mqtt: {url: 'mqtt://127.0.0.1:1883'}\ntargets:\n  a: {pixel: [0, 0], ping: 127.0.0.1}\n")
    hidden = ("import sys; sys.modules['paho'] = None; from statusboard.cli import main; "
              "sys.exit(main(sys.argv[1:]))")
    done = subprocess.run([sys.executable, "-c", hidden, "check", "-c", str(config)], capture_output=True, text=True,
                          cwd=ROOT, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    module, how = KINDS["mqtt"].library
    assert done.returncode == 2
    assert f"{config}:1: mqtt: the mqtt section needs {module}, which is not installed ({how})" in done.stderr


def test_push_sets_only_the_kinds_fed_through_the_broker():
    from statusboard.cli_push import push
    board = board_from("""
        mqtt: {url: 'mqtt://127.0.0.1:9'}
        targets:
          web: {pixel: [0, 0], http: 'http://127.0.0.1:9/'}
    """)
    assert push(board, "web", "down") == (2, "test.yaml:4: target 'web' is an http target; push sets mqtt targets")
