"""The text discovery adds to config.yaml: targets as one line each in YAML's flow style, every scalar quoted by
PyYAML's own emitter, and where that text goes so that none of the owner's bytes change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from statusboard.discover import DiscoverError
from statusboard.discover.place import Placed
from statusboard.text import printable


def scalar(value: Any) -> str:
    """One scalar as YAML writes it inside a flow collection: plain where that reads back the same, quoted where
    not; double-quoted with escapes for line breaks and characters a reader could take for one."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    out = yaml.safe_dump([text], default_flow_style=True, width=10 ** 9, allow_unicode=True)[1:-2]
    if out == "<<":   # a merge key to YAML's own loader
        return "'<<'"
    if "\n" in out or not all(c.isprintable() for c in out):
        out = yaml.safe_dump([text], default_flow_style=True, default_style='"', width=10 ** 9,
                             allow_unicode=True)[1:-2]
    return out


def flow(value: Any) -> str:
    """A value in flow style: {key: value, ...}, [a, b] or a scalar."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{scalar(k)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return scalar(value)


def comment(text: str) -> str:
    """Text that stays one comment line: no control character, no line or paragraph separator."""
    return "".join(c if c.isprintable() else "?" for c in printable(text, 200))


def entry(placed: Placed) -> Any:
    """A placed thing as config.yaml holds it: {pixel: [x, y], KIND: spec}."""
    return {"pixel": list(placed.pixel), placed.found.kind: placed.found.spec}


def block(placed: Sequence[Placed], indent: int, header: str, newline: str) -> str:
    """The targets as lines at `indent`, after a comment line saying where they came from."""
    pad = " " * indent
    lines = [f"{pad}# {comment(header)}"]
    for item in placed:
        lines.append(f"{pad}{scalar(item.name)}: {flow(entry(item))}   # {comment(item.found.note)}")
    return newline.join(lines) + newline


@dataclass(frozen=True)
class Insertion:
    """Where the new text goes (a character offset into the owner's text) and the text itself."""

    at: int
    text: str

    def into(self, original: str) -> str:
        """The owner's text with the insertion made, every byte of it kept."""
        return original[:self.at] + self.text + original[self.at:]


def insertion(original: str, placed: Sequence[Placed], header: str) -> Insertion:
    """Where the targets go in config.yaml: appended after the last target when `targets:` is the last section,
    else after the last line of the targets section; a `targets:` that is missing is added at the end.
    DiscoverError when the file's shape leaves no place that does not change what the owner wrote."""
    newline = "\r\n" if "\r\n" in original else "\n"
    end = _document_end(original)
    end_fix = newline if original[:end] and not original[:end].endswith("\n") else ""
    top = yaml.compose(original, Loader=yaml.SafeLoader)
    if top is None:   # empty, or comments alone
        return Insertion(end, end_fix + "targets:" + newline + block(placed, 2, header, newline))
    if not isinstance(top, MappingNode) or top.flow_style:
        raise DiscoverError("config.yaml is written as one {...} mapping: discover adds targets to a block "
                            "mapping (one key a line); write it so, or add the targets by hand")
    keys = [k for k, _ in top.value]
    found = [i for i, k in enumerate(keys) if isinstance(k, ScalarNode) and k.value == "targets"]
    if not found:
        column = keys[0].start_mark.column if keys else 0
        return Insertion(end, end_fix + " " * column + "targets:" + newline
                         + block(placed, column + 2, header, newline))
    index = found[0]
    key, value = top.value[index]
    if isinstance(value, MappingNode) and not value.flow_style and value.value:
        indent = value.value[0][0].start_mark.column
    elif isinstance(value, ScalarNode) and value.tag.endswith(":null") and value.value == "":
        indent = key.start_mark.column + 2
    else:
        written = printable(original[key.start_mark.index:].split(chr(10), 1)[0].strip(), 60)
        raise DiscoverError(f"line {key.start_mark.line + 1}: targets is written on one line "
                            f"({written}): discover adds "
                            "targets to a block mapping ('targets:' alone on its line, one target a line under it); "
                            "write it so, or add the targets by hand")
    text = block(placed, indent, header, newline)
    if index == len(keys) - 1:
        return Insertion(end, end_fix + text)
    at = max(_after_content(original, key.start_mark.index, keys[index + 1].start_mark.index),
             _after_node(original, value))   # a block scalar's last line may look like a comment
    return Insertion(at, text)


def _after_node(original: str, node: Node) -> int:
    """The offset just after the line where the last value inside a block node ends."""
    while isinstance(node, (MappingNode, SequenceNode)) and not node.flow_style and node.value:
        node = node.value[-1][1] if isinstance(node, MappingNode) else node.value[-1]
    end = node.end_mark.index
    if end > 0 and original[end - 1] == "\n":
        return int(end)
    newline = original.find("\n", end)
    return len(original) if newline < 0 else newline + 1


def _document_end(original: str) -> int:
    """Where the text ends for what is appended: at a `...` that ends the document explicitly (what follows it
    is outside the document), else at the end of the file."""
    for event in yaml.parse(original, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.DocumentEndEvent) and event.explicit:
            return int(event.start_mark.index)
    return len(original)


def _after_content(original: str, start: int, stop: int) -> int:
    """The offset just after the last line of the section from offset `start` up to the next section at `stop`:
    blank and comment lines before the next section stay with it, after the new text."""
    lines = original[start:stop].split("\n")
    ends = []   # offset after each line's newline
    at = start
    for line in lines[:-1]:   # the last piece is the next section's own line, up to its key
        at += len(line) + 1
        ends.append((at, line))
    last = start
    for end, line in ends:
        if line.strip() and not line.lstrip().startswith("#"):
            last = end
    return last if last > start else ends[0][0] if ends else stop


def verify(new_text: str, placed: Sequence[Placed]) -> None:
    """DiscoverError unless every new target reads back as exactly what was meant (names, pixels, selectors)."""
    try:
        doc = yaml.safe_load(new_text)
        targets = doc.get("targets") if isinstance(doc, dict) else None
    except yaml.YAMLError as exc:
        raise DiscoverError(f"the new config.yaml would not be YAML ({printable(exc, 200)}): nothing written") from None
    for item in placed:
        got = targets.get(item.name) if isinstance(targets, dict) else None
        if got != entry(item):
            raise DiscoverError(f"target {printable(item.name, 64)!r} would not read back as written "
                                f"({printable(got, 120)}): nothing written")
