"""Exponential backoff with full jitter, and the office's Retry-After as a floor.

Full jitter (a uniform draw between 0 and the exponential ceiling) spreads a fleet of terminals
that lost the office at the same moment, so they do not all come back in the same second.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    base: float = 1.0  # ceiling of the first delay, seconds
    cap: float = 300.0  # the ceiling never grows beyond this
    retry_after_cap: float = 3600.0  # longest Retry-After we obey
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0

    def next_delay(self, retry_after: float | None = None) -> float:
        """Count one more failure and return how long to wait before the next attempt."""
        ceiling = min(self.cap, self.base * 2 ** min(self.failures, 62))
        self.failures += 1
        delay = self.rng.uniform(0, ceiling)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.retry_after_cap))
        return delay

    def reset(self) -> None:
        self.failures = 0
