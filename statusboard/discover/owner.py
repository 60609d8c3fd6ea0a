"""The owner's config.yaml as discovery reads it: its exact text, its board (a file without targets reads as an
empty board of its layout), and the check that the text with the new targets keeps every old one as it was."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import Sequence

from statusboard.config import Board, read
from statusboard.discover import DiscoverError, Found
from statusboard.discover.place import Placed
from statusboard.discover.yamltext import insertion
from statusboard.errors import ConfigError
from statusboard.text import printable

PROBE = Placed(Found("probe", "http", "http://127.0.0.1/", "", frozenset()), "probe", (0, 0))


@dataclass(frozen=True)
class Owner:
    """config.yaml as found: the path given, the file written (symlinks followed), its text and its board."""

    path: str
    real: str
    text: str
    board: Board

    @property
    def data(self) -> bytes:
        """The file's bytes (it was read as UTF-8, which gives them back exactly)."""
        return self.text.encode("utf-8")


def _empty(problem: ConfigError) -> bool:
    """Whether the only fault is that the file has no targets yet (or holds nothing at all)."""
    return all(p.where == "targets" and p.message.startswith("no targets") or p.message.startswith("the file is empty")
               for p in problem.problems)


def read_owner(path: str) -> Owner:
    """Read and check config.yaml; ConfigError (exit 2) with every problem when it cannot be used as it is."""
    from statusboard.kinds import parse
    text = read(path)
    try:
        board = parse(text, path)
    except ConfigError as exc:
        if not _empty(exc):
            raise
        probe = insertion(text, [PROBE], "probe")   # DiscoverError when no target could be added by a line
        board = dataclasses.replace(parse(probe.into(text), path), targets=())
    return Owner(path, os.path.realpath(path), text, board)


def result(owner: Owner, new_text: str, placed: Sequence[Placed]) -> Board:
    """The board of the new text; DiscoverError unless every old target and setting is as it was and every new
    target is where it was placed."""
    from statusboard.kinds import parse
    try:
        board = parse(new_text, owner.path)
    except ConfigError as exc:
        raise DiscoverError("the config with the new targets would not be read: nothing written:\n  "
                            + "\n  ".join(str(p) for p in exc.problems)) from None
    old = {t.name for t in owner.board.targets}
    kept = tuple(t for t in board.targets if t.name in old)
    if dataclasses.replace(board, targets=kept) != owner.board:
        raise DiscoverError("the new targets would change what the config says of the others: nothing written")
    new = {t.name: t for t in board.targets if t.name not in old}
    for item in placed:
        target = new.get(item.name)
        if target is None or target.pixel != item.pixel or target.kind != item.found.kind:
            raise DiscoverError(f"target {printable(item.name, 64)!r} would not be read as placed: nothing written")
    return board
