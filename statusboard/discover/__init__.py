"""`statusboard discover`: what a source holds (EC2 instances, CloudWatch alarms, IVS channels, Prometheus jobs,
a file of URLs) turned into targets for the free pixels of a board, written as a person would write them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, FrozenSet, List, Optional, Tuple

from statusboard.errors import StatusboardError, UsageError

__all__ = ["DiscoverError", "Findings", "Found", "Key", "UsageError", "where"]

Key = Tuple[str, ...]   # what a thing is, for telling whether the board shows it already: ("ec2-id", "i-...")


class DiscoverError(StatusboardError):
    """Discovery could not be done or applied; nothing was written."""

    exit_code = 1


@dataclass(frozen=True)
class Found:
    """One thing a source found, as a target to add: the name it would have, its kind and the value under the
    kind's key (a string or an ordered mapping, as written), the comment beside it, what it is (`keys`), and the
    broader selectors that would show it too (`within`: an alarm is within a prefix pixel of its name)."""

    name: str
    kind: str
    spec: Any
    note: str
    keys: FrozenSet[Key]
    within: FrozenSet[Key] = frozenset()


@dataclass
class Findings:
    """What a source found, a line per place it asked, the places that did not answer, and what it left out."""

    found: List[Found] = field(default_factory=list)
    asked: List[str] = field(default_factory=list)
    problems: List[str] = field(default_factory=list)
    left_out: List[str] = field(default_factory=list)


def where(region: Optional[str], profile: Optional[str], default_region: Optional[str],
          default_profile: Optional[str]) -> List[Tuple[str, str]]:
    """The region and profile keys a generated AWS target carries: only where they differ from the config's
    `aws:` defaults."""
    out = []
    if region and region != default_region:
        out.append(("region", region))
    if profile and profile != default_profile:
        out.append(("profile", profile))
    return out
