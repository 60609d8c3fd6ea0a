"""The states a board can show: the board's own and every kind's, the kinds its targets name looked in first."""

from __future__ import annotations

from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional

from statusboard.vocabulary import BOARD_STATES, StateInfo, merge

# The top-level sections a kind may need (its `needs`): only a config that gives one of them has every kind's
# needs read (which imports every kind's module). tests/test_startup.py holds that every kind's is listed.
KIND_SECTIONS = ("mqtt",)


def states_of(kinds: Mapping[str, Any]) -> Dict[str, StateInfo]:
    """Every state a board with these kinds can show: the board's own, and each kind's."""
    return merge(BOARD_STATES, *(kind.states for kind in kinds.values()))


def named_kinds(doc: Any, kinds: Mapping[str, Any]) -> List[str]:
    """The kinds the targets of a config document name, in the registry's order (nothing imported)."""
    targets = doc.get("targets") if isinstance(doc, dict) else None
    named = set()
    for target in (targets.values() if isinstance(targets, dict) else ()):
        if isinstance(target, dict):
            named.update(key for key in target if isinstance(key, str) and key in kinds)
    return [key for key in kinds if key in named]


class BoardStates(Mapping[str, StateInfo]):
    """Every state of the board's own and of every kind, as one table: a state of a kind its targets name is
    found without importing the others; a state none of them has, or the whole table (iterating it), imports
    every kind. Exact either way: merge() refuses a state two kinds declare differently."""

    def __init__(self, kinds: Mapping[str, Any], used: Iterable[str] = ()) -> None:
        self._kinds = kinds
        self._some: Dict[str, StateInfo] = merge(BOARD_STATES, *(kinds[key].states for key in used))
        self._every: Optional[Dict[str, StateInfo]] = None

    def every(self) -> Dict[str, StateInfo]:
        """The whole table (every kind's module imported)."""
        if self._every is None:
            self._every = states_of(self._kinds)
        return self._every

    def __getitem__(self, state: str) -> StateInfo:
        if self._every is None:
            info = self._some.get(state)
            if info is not None:
                return info
        return self.every()[state]

    def __iter__(self) -> Iterator[str]:
        return iter(self.every())

    def __len__(self) -> int:
        return len(self.every())

    def __repr__(self) -> str:
        return f"BoardStates({self.every()!r})"
