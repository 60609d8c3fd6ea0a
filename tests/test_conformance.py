"""Every kind holds the contract a newcomer relies on (as hassfest checks every Home Assistant integration):
registered, declared whole, its identity named, no secret in what it says, its letters its own, its library
installable by the extra it names; and a new kind is one module and one word (boards: test_conformance_boards)."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Iterator, Mapping

import pytest
import yaml

try:
    import tomllib
except ImportError:   # Python before 3.11
    tomllib = None

from statusboard.errors import ConfigError
from statusboard import config
from statusboard.kinds import KINDS, MODULES, register
from statusboard.kinds.kind import SECRET, Check, Context, Kind, Source, refusal
from statusboard.model import Target
from statusboard.vocabulary import BOARD_STATES
from tests.conftest import ROOT, board_from

def declared_in(package: str, name: str):
    """The modules of a package that declare `name` at their top (read from the source, nothing imported)."""
    found = []
    for path in sorted((ROOT / "statusboard" / package).glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
               for node in tree.body):
            found.append(path.stem)
    return found


def example(kind: Kind, kinds: Mapping[str, Kind] = KINDS) -> Target:
    """The target of the kind's own example (KIND.example), parsed as config.yaml would be by a board that knows
    these kinds."""
    mqtt = "mqtt: {url: 'mqtt://127.0.0.1:1883'}\n" if kind.needs else ""
    text = f"{mqtt}targets:\n  t: {{pixel: [0, 0], {kind.key}: {kind.example}}}\n"
    return config.parse(text, "test.yaml", kinds).targets[0]


def strings(value: object) -> Iterator[str]:
    """Every string in a YAML value, keys and values, however deep."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(key)
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def extras():
    """pyproject's extras: name -> the distribution names it requires, normalised."""
    if tomllib is None:
        pytest.skip("tomllib is Python 3.11's: pyproject.toml is read with it")
    doc = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {name: {re.split(r"[\s<>=!~;\[]", r, 1)[0].lower().replace("_", "-") for r in reqs}
            for name, reqs in doc["project"]["optional-dependencies"].items()}


# Kinds: each test takes the kind (and the kinds its board knows), so a kind outside the registry (the README's
# recipe, tests/test_readme_kind.py) is held to the same contract by KIND_CONTRACT.

EVERY_KIND = pytest.mark.parametrize("kind", [KINDS[k] for k in sorted(KINDS)], ids=sorted(KINDS))


def test_every_kind_module_is_registered_and_every_registered_kind_has_its_module():
    assert sorted(declared_in("kinds", "KIND")) == sorted(MODULES)
    assert all(KINDS[m].key == m for m in MODULES), "a kind's key is its module's name"


@EVERY_KIND
def test_a_kind_is_declared_whole(kind, kinds=KINDS):
    assert refusal(kind, f"statusboard.kinds.{kind.key}") is None
    names = {f.name for f in dataclasses.fields(kind.spec)}
    assert kind.spec.identity and set(kind.spec.identity) <= names
    assert example(kind, kinds).kind == kind.key, "its example is a target of it"


@EVERY_KIND
def test_a_kinds_fingerprint_changes_with_every_identity_field_and_no_other(kind, kinds=KINDS):
    target = example(kind, kinds)
    assert isinstance(target.spec, kind.spec)
    for f in dataclasses.fields(target.spec):
        changed = dataclasses.replace(target, spec=dataclasses.replace(target.spec, **{f.name: f"other {f.name}"}))
        if f.name in target.spec.identity:
            assert changed.fingerprint != target.fingerprint, f"{kind.key}.{f.name} names what is watched"
            continue
        assert changed.fingerprint == target.fingerprint, f"{kind.key}.{f.name} says how it is judged"
        try:
            shown = changed.spec.describe() != target.spec.describe()
        except Exception:   # a describe() that cannot show the stand-in value tells nothing
            shown = False
        assert not shown, (   # what people are shown as the target names what it watches
            f"{kind.key}.{f.name}: describe() shows it, so it names what is watched: add it to the identity of "
            f"{kind.spec.__name__}")


@EVERY_KIND
def test_a_kinds_parser_takes_its_section_and_key_and_nothing_it_never_uses(kind, kinds=KINDS):
    # The board's states reach a parser that needs them (a value naming a state) through the section.
    assert list(inspect.signature(kind.parse).parameters) == ["parent", "key"]


@EVERY_KIND
def test_a_kind_reads_a_targets_spec_as_its_own_class_and_no_other_kinds(kind, kinds=KINDS):
    target = example(kind, kinds)
    assert kind.spec_of(target) is target.spec
    other = example(KINDS["ping" if kind.key != "ping" else "http"])
    with pytest.raises(TypeError, match=f"target 't' \\({other.kind}\\) holds a {type(other.spec).__name__}"):
        kind.spec_of(other)


def test_a_value_that_names_a_state_may_name_any_the_board_knows():
    # `alarm` is cloudwatch's: http's equals and mqtt's payload map to it as to their own states.
    board = board_from("mqtt: {url: 'mqtt://127.0.0.1:1883'}\ntargets:\n"
                       "  a: {pixel: [0, 0], http: {url: 'http://h/', json: {path: s, equals: {bad: alarm}}}}\n"
                       "  b: {pixel: [1, 0], mqtt: {topic: t, payload: {BAD: alarm}}}\n")
    assert board.targets[0].spec.json.equals == (("bad", "alarm"),)
    assert board.targets[1].spec.payload == (("BAD", "alarm"),)


@EVERY_KIND
def test_how_a_kind_is_run_follows_from_what_it_makes(kind, kinds=KINDS):
    # No flag to keep true: the scheduler batches a BatchCheck's targets and leaves a Source's alone.
    made = kind.make(Context())
    assert isinstance(made, (Check, Source)), f"{kind.key} makes neither a Check, a BatchCheck nor a Source"
    assert not (isinstance(made, Check) and isinstance(made, Source)), f"{kind.key}: polled or pushed, not both"
    assert (kind.feed is not None) <= isinstance(made, Source), f"{kind.key}: a kind that is fed is pushed"


@EVERY_KIND
def test_a_kinds_description_holds_no_secret(kind, kinds=KINDS):
    # Its example writes a password wherever a target can hold one: in every URL its parser would take one in.
    for url in [s for s in strings(yaml.safe_load(kind.example)) if "://" in s and f":{SECRET}@" not in s]:
        scheme, rest = url.split("://", 1)
        try:   # the parser refuses a password there, or the example shows one
            example(dataclasses.replace(kind, example=kind.example.replace(url, f"{scheme}://ops:{SECRET}@{rest}")),
                    kinds)
        except ConfigError:
            continue
        pytest.fail(f"{kind.key}: {url} in its example can hold a password: write it as user:SECRET@ "
                    "(kinds.kind.SECRET), so that this test proves describe() hides it")
    said = example(kind, kinds).spec.describe()
    assert said and SECRET not in said, said


def test_a_description_that_shows_a_password_fails_the_contract():
    """The check above can fail: an http kind whose describe() shows its URL whole is caught."""
    http = KINDS["http"]

    @dataclasses.dataclass(frozen=True)
    class Leaky(http.spec):
        def describe(self) -> str:
            return self.url

    def parse(parent, key):
        spec = http.parse(parent, key)
        return Leaky(*(getattr(spec, f.name) for f in dataclasses.fields(spec)))

    leaky = dataclasses.replace(http, spec=Leaky, parse=parse)
    with pytest.raises(AssertionError, match=SECRET):
        test_a_kinds_description_holds_no_secret(leaky, {**KINDS, "http": leaky})


def test_every_state_has_a_letter_of_its_own(kinds=KINDS):
    """One letter per state, and no two that differ only by case (O/o, S/s): a key people can read."""
    states = defaultdict(set)
    for kind in list(kinds.values()):
        for name, info in kind.states.items():
            states[name].add(info.letter)
    for name, info in BOARD_STATES.items():
        states[name].add(info.letter)
    assert {n: ls for n, ls in states.items() if len(ls) > 1} == {}, "one state, one letter, in every kind"
    letters = defaultdict(list)
    for name, info in config.states_of(kinds).items():
        letters[info.letter.lower()].append(name)
    assert {letter: names for letter, names in letters.items() if len(names) > 1} == {}


@pytest.mark.parametrize("kind", [KINDS[k] for k in sorted(KINDS) if KINDS[k].library],
                         ids=sorted(k for k in KINDS if KINDS[k].library))
def test_a_kinds_library_comes_with_the_extra_it_names(kind, kinds=KINDS):
    module, how = kind.library
    named = re.findall(r"statusboard\[([a-z0-9_-]+)\]", how)
    assert named, f"{kind.key}: how to install {module} names no extra: {how!r}"
    from importlib.metadata import packages_distributions
    providers = {d.lower().replace("_", "-") for d in packages_distributions().get(module.split(".")[0], [])}
    assert providers, f"{module} is not installed here (tests/run.sh installs every kind's library)"
    for extra in named:
        assert providers & extras()[extra], f"{kind.key}: the {extra} extra does not install {module}"


def holds_the_contract(kind: Kind, kinds: Mapping[str, Kind]) -> None:
    """Every check above for one kind, on a board that knows these kinds (AssertionError at the first broken)."""
    for check in (test_a_kind_is_declared_whole,
                  test_a_kinds_fingerprint_changes_with_every_identity_field_and_no_other,
                  test_a_kinds_parser_takes_its_section_and_key_and_nothing_it_never_uses,
                  test_a_kind_reads_a_targets_spec_as_its_own_class_and_no_other_kinds,
                  test_how_a_kind_is_run_follows_from_what_it_makes, test_a_kinds_description_holds_no_secret):
        check(kind, kinds)
    test_every_state_has_a_letter_of_its_own(kinds)
    if kind.library:
        test_a_kinds_library_comes_with_the_extra_it_names(kind, kinds)


# A new one


def _package(tmp_path: Path, name: str, text: str) -> str:
    """A package of one module on sys.path, for the registry to load (named after the test: each its own)."""
    package = tmp_path / re.sub(r"\W", "_", f"newcomer_{name}_{tmp_path.name}")
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / f"{name}.py").write_text(text)
    return package.name


UNDECLARED = '''
from dataclasses import dataclass
from typing import ClassVar, Tuple
from statusboard.kinds.kind import Kind

@dataclass(frozen=True)
class TcpSpec:
    IDENTITY
    host: str
    port: int

    def describe(self) -> str:
        return f"{self.host}:{self.port}"

KIND = Kind(key="tcp", spec=TcpSpec, parse=lambda parent, key: None, make=lambda context: None)
'''


@pytest.mark.parametrize("identity, refused", [
    ("", "its spec TcpSpec declares no identity"),
    ("identity: ClassVar[Tuple[str, ...]] = ('host', 'port')", "it declares no example: one target of it"),
], ids=["no identity", "no example"])
def test_a_kind_not_declared_whole_is_refused_by_name_when_the_registry_loads(tmp_path, monkeypatch, identity,
                                                                                refused):
    monkeypatch.syspath_prepend(str(tmp_path))
    package = _package(tmp_path, "tcp", UNDECLARED.replace("IDENTITY", identity))
    with pytest.raises(TypeError) as why:
        register(("tcp",), package=package)
    assert str(why.value).startswith(f"kind 'tcp' ({package}.tcp): {refused}")
    assert list(register(("http",))) == ["http"]


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
          host: {pixel: [1, 0], ping: 127.0.0.1}
    """)
    assert push(board, "web", "down") == (2, "test.yaml:4: target 'web' is an http target; push sets mqtt targets")
    assert push(board, "host", "down") == (2, "test.yaml:5: target 'host' is a ping target; push sets mqtt targets")
