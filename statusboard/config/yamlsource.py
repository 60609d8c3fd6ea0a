"""Reads YAML into plain values that remember their line numbers, and reports duplicate keys."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import re
import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode
from yaml.resolver import Resolver

from statusboard.errors import Problem
from statusboard.text import printable, valid


class LDict(dict):
    """A mapping read from YAML: `line` is where it starts, `lines[key]` where each key is."""

    line: int = 0
    lines: Dict[Any, int]


class LList(list):
    """A sequence read from YAML: `line` is where it starts, `lines[i]` where each item is."""

    line: int = 0
    lines: List[int]


def _line(node: Node) -> int:
    return node.start_mark.line + 1


# Values a config may hold or expand to: a 256-target board has about 2,500; an alias bomb, billions. PyYAML reads
# about 25,000 a second here (a tenth of that on a Pi Zero), so this also bounds how long a hostile file takes.
BUDGET = 10_000
DEPTH = 32        # nesting a config may have: a board's is 4 or 5
COMPOSE_DEPTH = 4 * DEPTH   # deeper than this is refused while composing, before any path can be named
MERGE = "tag:yaml.org,2002:merge"
NO_MERGE = ("YAML merge keys (<<) are not read here: write the keys out (the defaults: section gives every target "
            "its interval, timeout and fail_after)")
NULL_KEY = "a key must be a name, not {} (YAML reads ~, null and an empty key as no value)"
TOO_MANY = f"the file holds or expands to more than {BUDGET} values (YAML aliases?); a board's config is far smaller"


class _TooMuch(Exception):
    """The document expands beyond what a config can be."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


class _Reader:
    """Turns a composed node tree into LDict/LList/scalars, noting duplicate keys; aliases are expanded
    within a budget, and an alias inside itself is refused."""

    def __init__(self, file: str, problems: List[Problem]) -> None:
        self.file = file
        self.problems = problems
        self.constructor = SafeConstructor()
        self.left = BUDGET
        self.open: List[int] = []   # ids of the nodes being read, outermost first

    def value(self, node: Node, path: str) -> Any:
        self.left -= 1
        if self.left < 0:
            raise _TooMuch(_line(node), TOO_MANY)
        if isinstance(node, ScalarNode):
            scalar = self.constructor.construct_object(node, deep=True)
            if isinstance(scalar, str) and valid(scalar) != scalar:   # "\ud800" in double quotes: no text
                self.problems.append(Problem(self.file, _line(node), path or "top level",
                                             f"{printable(repr(scalar), 60)} holds a lone surrogate (a \\ud800 to "
                                             "\\udfff escape on its own), which is not text: write the character "
                                             "itself, or \\U0001F600 for one beyond \\uffff"))
                return valid(scalar)
            return scalar
        if id(node) in self.open:
            raise _TooMuch(_line(node), f"{path or 'top level'}: a YAML alias refers to a node that contains it")
        if len(self.open) >= DEPTH:
            raise _TooMuch(_line(node), f"{path or 'top level'}: nested more than {DEPTH} deep")
        self.open.append(id(node))
        try:
            if isinstance(node, MappingNode):
                return self.mapping(node, path)
            out = LList()
            out.line, out.lines = _line(node), []
            for i, item in enumerate(node.value):
                out.append(self.value(item, f"{path}[{i}]"))
                out.lines.append(_line(item))
            return out
        finally:
            self.open.pop()

    def mapping(self, node: MappingNode, path: str) -> LDict:
        out = LDict()
        out.line, out.lines = _line(node), {}
        written: Dict[Any, ScalarNode] = {}   # each key's node: its YAML text and tag
        for key_node, value_node in node.value:
            here = path or "top level"
            if key_node.tag == MERGE:
                self.problems.append(Problem(self.file, _line(key_node), here, NO_MERGE))
                continue
            if not isinstance(key_node, ScalarNode):
                self.problems.append(Problem(self.file, _line(key_node), here, "a key must be a plain name"))
                continue
            key = self.value(key_node, path)
            text = printable(key_node.value, 60)
            if key is None:
                self.problems.append(Problem(self.file, _line(key_node), here, NULL_KEY.format(text or "nothing")))
                continue
            where = f"{path}.{text}" if path else text
            if key in out:
                first = written[key]
                if first.tag == key_node.tag:   # the same type and value to YAML: 1 and 0x1, yes and true
                    spelt = "" if first.value == key_node.value else f" as '{printable(first.value, 60)}'"
                    message = (f"duplicate key '{text}' (first at line {_line(first)}{spelt}); YAML would silently "
                               "keep only the last")
                else:   # yes: and 1: are true and 1 to YAML, which Python holds to be the same key
                    message = (f"the key '{text}' (read as {key!r}) and the key '{printable(first.value, 60)}' at "
                               f"line {_line(first)} are the same key once read; quote them to keep them as text: "
                               f"'{text}':")
                self.problems.append(Problem(self.file, _line(key_node), where, message))
                continue
            out[key] = self.value(value_node, where)
            out.lines[key] = _line(key_node)
            written[key] = key_node
        return out


class _TooDeep(Exception):
    """The document nests deeper than DEPTH; raised as soon as the composer gets there."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


class _Guarded:
    """A composer refusing deep nesting as it composes: thousands of brackets would otherwise recurse until
    Python's limit, which takes seconds of a Pi's CPU."""

    _depth = 0
    _nodes = 0

    def compose_node(self, parent: Optional[Node], index: Any) -> Node:  # type: ignore[override]
        """Compose one node, counting how deep it is."""
        self._depth += 1
        self._nodes += 1
        try:
            if self._depth > COMPOSE_DEPTH:
                raise _TooDeep(self.peek_event().start_mark.line + 1)
            if self._nodes > BUDGET:   # stop reading at once, not after composing all of a huge file
                raise _TooMuch(self.peek_event().start_mark.line + 1, TOO_MANY)
            return super().compose_node(parent, index)  # type: ignore[misc,no-any-return]
        finally:
            self._depth -= 1


class _Loader(_Guarded, yaml.SafeLoader):
    """PyYAML's safe loader, all in Python, guarded."""


try:
    from yaml._yaml import CParser
except ImportError:   # PyYAML built without libyaml
    CParser = None


if CParser is not None:
    class _FastLoader(_Guarded, Composer, CParser, SafeConstructor, Resolver):  # type: ignore[misc,valid-type]
        """libyaml's scanner and parser (about ten times PyYAML's own, and most of a board's start on a Pi
        Zero's CPU), with PyYAML's composer in Python, guarded the same way."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)


def _compose(text: str) -> Any:
    """The node tree of a YAML text: read by libyaml where PyYAML has it, else (and for any text libyaml
    refuses or cannot take) by PyYAML's own reader, whose messages the board explains."""
    if CParser is not None:
        try:
            return yaml.compose(text, Loader=_FastLoader)
        except Exception:  # noqa: BLE001 - read again below, and the same problem told in PyYAML's words
            pass
    return yaml.compose(text, Loader=_Loader)


def read_yaml(text: str, file: str, problems: List[Problem]) -> Any:
    """Parse YAML text; syntax errors and duplicate keys are added to problems. None if unreadable."""
    try:
        node = _compose(text)
    except _TooDeep as exc:
        problems.append(Problem(file, exc.line, "", f"YAML nested too deeply (more than {DEPTH} levels)"))
        return None
    except _TooMuch as exc:
        problems.append(Problem(file, exc.line, "", str(exc)))
        return None
    except RecursionError:
        problems.append(Problem(file, None, "", f"YAML nested too deeply (more than {DEPTH} levels)"))
        return None
    except yaml.MarkedYAMLError as exc:
        problem = str(exc.problem or "")
        # A key without its colon is only noticed on a later line: name the line of the key.
        mark = exc.context_mark if "expected ':'" in problem and exc.context_mark else exc.problem_mark
        mark = mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        opened = re.match(r"while parsing a flow (mapping|sequence)", str(exc.context or ""))
        if opened and exc.context_mark and exc.problem_mark and (
                exc.context_mark.line < exc.problem_mark.line or "<stream end>" in problem):
            # `a: {pixel: [0, 0], ping: h` with no `}`: name the line of the bracket left open.
            bracket = "{" if opened.group(1) == "mapping" else "["
            line = exc.context_mark.line + 1
            what = (f"the {bracket} on this line is never closed" if "<stream end>" in problem else
                    f"the {bracket} on this line is not closed before line {exc.problem_mark.line + 1} ({problem})")
        elif opened and exc.context_mark and exc.problem_mark and ", but got " in problem:
            # `pixel: [0, 0, ping: h}`: the bracket closed by another on its own line
            expected, got = problem.split(", but got ", 1)
            what = (f"the {'{' if opened.group(1) == 'mapping' else '['} at column {exc.context_mark.column + 1} "
                    f"is not closed before the {got.strip(chr(39))} at column {exc.problem_mark.column + 1} "
                    f"({expected})")
        if "'\\t'" in what or "\t" in what:
            what += " (YAML takes no tabs: indent with spaces)"
        elif "expected ':'" in problem:
            what += " (a key needs a colon and a space after it: 'ping: 127.0.0.1')"
        elif "mapping values are not allowed" in problem:
            what += (" (this line is indented deeper than the key above it, or a value holds ': ' and needs "
                     "quotes)")
        elif "block" in what:
            what += " (check the indentation of this line and the ones above it)"
        problems.append(Problem(file, line, "", f"YAML syntax error: {what}"))
        return None
    except yaml.reader.ReaderError as exc:   # a NUL or another control character: at its line and column
        before = text[:exc.position]
        problems.append(Problem(file, before.count("\n") + 1, "",
                                f"a control character (U+{exc.character:04X}) at column "
                                f"{exc.position - before.rfind(chr(10))}: a config holds only text"))
        return None
    except yaml.YAMLError as exc:
        problems.append(Problem(file, None, "", f"YAML syntax error: {exc}"))
        return None
    if node is None:
        return None
    try:
        return _Reader(file, problems).value(node, "")
    except _TooMuch as exc:
        problems.append(Problem(file, exc.line, "", str(exc)))
        return None
    except yaml.MarkedYAMLError as exc:   # a tag it has no type for (!python/name): one line, at its line
        mark = exc.problem_mark or exc.context_mark
        what = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        problems.append(Problem(file, mark.line + 1 if mark else None, "", f"YAML error: {what}"))
        return None
    except yaml.YAMLError as exc:
        problems.append(Problem(file, None, "", f"YAML error: {exc}"))
        return None
