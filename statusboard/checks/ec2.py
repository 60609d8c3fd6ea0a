"""EC2 instance state: not available in this version; such pixels say so instead of guessing."""

from __future__ import annotations

import time
from typing import Callable, Optional

from statusboard.config import Target
from statusboard.observation import Observation
from statusboard.states import UNKNOWN


class Ec2Check:
    """Reports every EC2 target as unknown until the EC2 check lands."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock

    def observe(self, target: Target, deadline: Optional[float] = None) -> Observation:
        """An `unknown` observation that says EC2 checks are not available yet."""
        return Observation.of(target.name, UNKNOWN, "EC2 checks are not available in this version", self.clock())
