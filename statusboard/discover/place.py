"""Where found things go: the ones the board shows already are left out, the rest get free pixels row by row
(from a given row) and names no other target has."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple
from urllib.parse import urlsplit

from statusboard.config import Board
from statusboard.config.board import MAX_NAME
from statusboard.discover import Found, Key
from statusboard.text import printable

SOURCES = ("ec2", "cloudwatch", "ivs", "prometheus", "http")   # the kinds discovery knows, by their module


@dataclass(frozen=True)
class Placed:
    """A found thing with its target name and pixel."""

    found: Found
    name: str
    pixel: Tuple[int, int]


@dataclass
class Plan:
    """What would be added, what the board shows already, what was found twice, and what found no free pixel."""

    placed: List[Placed] = field(default_factory=list)
    already: List[Found] = field(default_factory=list)
    unplaced: List[Found] = field(default_factory=list)
    twice: List[Found] = field(default_factory=list)
    free: int = 0


def shown(board: Board) -> Set[Key]:
    """The keys of every target on the board of a kind discovery knows."""
    regions: Dict[Optional[str], Optional[str]] = {}
    out: Set[Key] = set()
    for target in board.targets:
        if target.kind in SOURCES:
            module = importlib.import_module(f"statusboard.discover.{target.kind}")
            out |= module.keys_of(target, board.aws, regions)
    return out


def free_pixels(board: Board, row: int) -> List[Tuple[int, int]]:
    """The pixels no target has, row by row from `row`."""
    width, height = board.shape
    taken = {t.pixel for t in board.targets}
    return [(x, y) for y in range(row, height) for x in range(width) if (x, y) not in taken]


def name_for(wanted: str, region: Optional[str], taken: Set[str]) -> str:
    """A target name for people: one printable line (whitespace made single spaces, anything else unprintable a
    ?), at most 64 characters, and not one the board has (the region, then a number, added to tell it apart)."""
    one_line = "".join(c if c.isprintable() else "?" for c in " ".join(wanted.split()))
    base = printable(one_line or "target", MAX_NAME)
    tries = [base] + ([f"{base}-{region}"] if region else [])
    tries += [f"{base}-{n}" for n in range(2, 10_000)]
    for name in tries:
        if len(name) > MAX_NAME:
            cut = name[len(base):]
            name = base[:MAX_NAME - len(cut) - 1] + "…" + cut
        if name not in taken:
            return name
    raise AssertionError("no free name")   # 10,000 targets of one name: more than any board has pixels


def plan(board: Board, found: Sequence[Found], row: int, partial: bool) -> Plan:
    """Place what is not on the board yet; every one of it, or (with partial) as many as there are free pixels."""
    out = Plan()
    on_board = shown(board)
    seen: Set[Key] = set()
    fresh: List[Found] = []
    for item in found:
        if (item.keys | item.within) & on_board:
            out.already.append(item)
        elif item.keys & seen:   # the same thing through two profiles or regions: placed once
            out.twice.append(item)
        else:
            fresh.append(item)
            seen |= item.keys
    pixels = free_pixels(board, row)
    out.free = len(pixels)
    if len(fresh) > len(pixels) and not partial:
        out.unplaced = fresh
        return out
    names = {t.name for t in board.targets}
    for item, pixel in zip(fresh, pixels):
        region = _region(item)
        name = name_for(item.name, region, names)
        names.add(name)
        out.placed.append(Placed(item, name, pixel))
    out.unplaced = fresh[len(pixels):]
    return out


def _region(item: Found) -> Optional[str]:
    """The region a found AWS thing is in (its keys hold it), for telling two of one name apart."""
    for key in item.keys:
        if key[0] in ("ec2-name", "ec2-tags", "cw-name", "cw-prefix", "ivs-name") and len(key) > 3:
            return key[2] or None
    return None


def _urls(spec: Any) -> List[str]:
    if isinstance(spec, str):
        return [spec]
    if isinstance(spec, dict):
        return [u for v in spec.values() for u in _urls(v)]
    return []


def secrets(placed: Sequence[Placed]) -> int:
    """How many of the placed targets carry a user name or password in a URL (written as given, in clear)."""
    return sum(1 for item in placed if any("://" in u and urlsplit(u).username is not None
                                           for u in _urls(item.found.spec)))
