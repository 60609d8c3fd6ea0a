"""HTTP endpoints as targets from a file of URLs: one a line, optionally followed by the target's name; blank
lines and lines starting with # are skipped. Each URL is checked as the http kind checks it."""

from __future__ import annotations

from typing import Dict, List, Optional, Set
from urllib.parse import urlsplit

from statusboard.config import AwsSettings
from statusboard.config.values import Invalid
from statusboard.discover import Findings, Found, Key, UsageError
from statusboard.kinds.shared.web import url
from statusboard.model import Target
from statusboard.readfile import NotAFile, read_small
from statusboard.text import printable, redact, refused_url

LIMIT = 1024 * 1024


def read(path: str) -> Findings:
    """The targets a file of URLs names; UsageError listing every line that is not a URL."""
    try:
        text = read_small(path, LIMIT).decode("utf-8-sig")   # a byte order mark, as Notepad writes, is no URL
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except NotAFile as exc:
        raise UsageError(f"{path} {exc}") from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    out = Findings()
    bad: List[str] = []
    seen: Set[str] = set()
    for number, line in enumerate(text.split("\n"), 1):   # lines as an editor numbers them (not at \x85, \u2028)
        words = line.strip().split(None, 1)
        if not words or words[0].startswith("#"):
            continue
        try:
            address = url(words[0])
        except Invalid as exc:
            if len(words) > 1 and "@" in words[1].split()[0] and "@" not in words[0]:   # "https://u:p w@host/"
                bad.append(f"{path}:{number}: not a valid URL (a space in its user name or password? write it as "
                           f"%20): '{printable(refused_url(line.strip()), 120)}'")
            else:
                bad.append(f"{path}:{number}: {printable(redact(str(exc)), 200)}")
            continue
        if address in seen:
            out.left_out.append(f"{path}:{number}: {printable(redact(address), 120)} is named on an earlier line")
            continue
        seen.add(address)
        name = words[1].strip() if len(words) > 1 else _name(address)
        out.found.append(Found(name, "http", address, f"{path} line {number}", frozenset({("http", address)})))
    if bad:
        raise UsageError(f"{len(bad)} line{'s' if len(bad) != 1 else ''} of {path} "
                         f"{'are' if len(bad) != 1 else 'is'} not a URL:\n  " + "\n  ".join(bad))
    out.asked.append(f"{path}: {len(out.found)} URL{'s' if len(out.found) != 1 else ''}")
    return out


def _name(address: str) -> str:
    """A name for people from a URL: its host and path, never its user or password."""
    parts = urlsplit(address)
    return f"{parts.hostname or ''}{(':' + str(parts.port)) if parts.port else ''}{parts.path.rstrip('/')}"


def keys_of(target: Target, _aws: AwsSettings, _regions: Dict[Optional[str], Optional[str]]) -> Set[Key]:
    """What an http target already on the board shows, in the keys discovery gives what it finds."""
    return {("http", target.spec.url)}
