"""A Prometheus server's scrape jobs as targets: one per job of its `up` series (the worst of its instances
shows), or one per instance with `--per-instance`; asked through the prometheus kind's own HTTP client."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Dict, List, Optional, Set, Tuple
from urllib.parse import urlencode

from statusboard.config import AwsSettings
from statusboard.discover import DiscoverError, Findings, Found, Key
from statusboard.model import Target
from statusboard.net.ask import Asker
from statusboard.text import printable, redact, valid

UP = "up"
# up is 1 for a scrape that worked, 0 for one that failed: below 0.5 is critical.
THRESHOLDS = {"below": {"critical": 0.5}}


def label(value: str) -> str:
    """A label value inside PromQL's double quotes."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def series(url: str, timeout: float) -> List[Dict[str, str]]:
    """The labels of every `up` series the server holds now; DiscoverError when it cannot be asked or read."""
    shown = redact(url)
    answer, why = Asker().get(f"{url.rstrip('/')}/api/v1/query?{urlencode({'query': UP})}", shown, timeout, None)
    if why:
        raise DiscoverError(f"Prometheus at {shown}: {why}")
    try:
        doc = json.loads(answer.body.decode("utf-8", "replace"))
        if doc.get("status") != "success":
            raise ValueError(printable(doc.get("error"), 160))
        out = [dict(item["metric"]) for item in doc["data"]["result"]]
        for labels in out:   # a label's value is text; a server that says otherwise is not Prometheus
            for key, value in labels.items():
                if not isinstance(key, str) or not isinstance(value, str) or valid(value) != value:
                    raise ValueError(f"label {printable(key, 40)} is {printable(json.dumps(value), 40)}, not text")
        return out
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise DiscoverError(f"Prometheus at {shown} (HTTP {answer.status}): not the answer of a Prometheus server's "
                            f"/api/v1/query ({printable(exc, 120)}): is the URL the server's, like http://host:9090?")


def discover(url: str, timeout: float, per_instance: bool) -> Findings:
    """One target per job (or per job and instance) of the server's `up` series."""
    out = Findings()
    found = series(url, timeout)
    groups: Dict[Tuple[str, ...], int] = defaultdict(int)
    for labels in found:
        job = labels.get("job", "")
        groups[(job, labels.get("instance", "")) if per_instance else (job,)] += 1
    out.asked.append(f"Prometheus {redact(url)}: {len(found)} up series, {len({g[0] for g in groups})} jobs")
    for group in sorted(groups):
        job = group[0]
        selector = f'job="{label(job)}"' + (f', instance="{label(group[1])}"' if per_instance else "")
        query = f"{UP}{{{selector}}}"
        name = f"{job} {group[1]}" if per_instance else job
        count = groups[group]
        note = f"{count} {UP} series" if not per_instance else f"job {job}"
        spec = {"url": url, "query": query, **THRESHOLDS}
        out.found.append(Found(name or UP, "prometheus", spec, f"{note}, {redact(url)}",
                               frozenset({("prometheus", url.rstrip("/"), query)})))
    return out


def keys_of(target: Target, _aws: AwsSettings, _regions: Dict[Optional[str], Optional[str]]) -> Set[Key]:
    """What a prometheus target already on the board shows, in the keys discovery gives what it finds."""
    return {("prometheus", target.spec.url.rstrip("/"), target.spec.query)}


def server(value: str) -> str:
    """The server's URL as the kind takes it; UsageError when it is not one."""
    from statusboard.config.values import Invalid
    from statusboard.discover import UsageError
    from statusboard.kinds.shared.web import url
    try:
        return url(value)
    except Invalid as exc:
        raise UsageError(f"prometheus {printable(redact(value), 120)}: {exc}") from None
