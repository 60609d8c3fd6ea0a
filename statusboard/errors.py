"""The one family of errors statusboard raises for things a person can fix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence

from statusboard.text import printable, redact


class StatusboardError(Exception):
    """Base of every error that is reported to a person as a message, never as a traceback."""

    exit_code = 1


class UsageError(StatusboardError):
    """A command was given arguments it cannot use: exit 2, as argparse's own usage errors."""

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a config file: where it is and what is wrong."""

    file: str
    line: Optional[int]
    where: str
    message: str

    def __str__(self) -> str:
        place = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{place}: {self.where}: {self.message}" if self.where else f"{place}: {self.message}"
        # Keys and values come from the file: no escape sequence gets through, and no password in a URL.
        return printable(redact(text), 1000)


class ConfigError(StatusboardError):
    """config.yaml cannot be used; carries every problem found, not only the first."""

    exit_code = 2

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class DisplayError(StatusboardError):
    """The chosen display cannot be opened or driven."""

    exit_code = 3


def reasons(exc: BaseException, path: str) -> List[str]:
    """Why a change of config was refused, a line each: a config's problems, a display's error, else the error."""
    if isinstance(exc, ConfigError):
        return [str(p) for p in exc.problems]
    if isinstance(exc, DisplayError):
        return [str(exc)]
    return [f"{path}: could not be applied: {type(exc).__name__}: {exc}"]
