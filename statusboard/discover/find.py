"""Which source to ask, and how: the one place that names them all."""

from __future__ import annotations

from typing import Optional, Sequence

from statusboard.config import Board
from statusboard.discover import Findings

NAMES = ("ec2", "cloudwatch", "ivs", "prometheus", "http")


def find(source: str, board: Board, timeout: float, profiles: Sequence[str] = (), regions: Sequence[str] = (),
         group_by: Optional[str] = None, group_prefix: Optional[str] = None, per_instance: bool = False,
         where: Optional[str] = None) -> Findings:
    """What the source holds now. `where` is the Prometheus server's URL, or the file of URLs for http."""
    if source in ("ec2", "cloudwatch", "ivs"):
        from statusboard.discover.aws import groups
        places = groups(profiles, regions, board.aws)
        if source == "ec2":
            from statusboard.discover import ec2
            return ec2.discover(places, board.aws, timeout, group_by)
        if source == "cloudwatch":
            from statusboard.discover import cloudwatch
            return cloudwatch.discover(places, board.aws, timeout, group_prefix)
        from statusboard.discover import ivs
        return ivs.discover(places, board.aws, timeout)
    if source == "prometheus":
        from statusboard.discover import prometheus
        return prometheus.discover(prometheus.server(where or ""), timeout, per_instance)
    from statusboard.discover import http
    return http.read(where or "")
