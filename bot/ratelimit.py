"""Per-user request limits: a sliding window, in memory (one bot process)."""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque
from collections.abc import Callable


class RateLimiter:
    """At most `limit` events per `window` seconds per key; `hit` says whether one is allowed."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._events: defaultdict[str, deque[float]] = defaultdict(deque)

    def hit(self, key: str) -> bool:
        """Record an event for `key` if allowed; False (and nothing recorded) when over."""
        now = self.clock()
        events = self._events[key]
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) >= self.limit:
            return False
        events.append(now)
        if len(self._events) > 100_000:  # forget idle keys now and then
            self._prune(now)
        return True

    def retry_after(self, key: str) -> int:
        """Whole seconds until `key` may send again (0 when it may now)."""
        events = self._events.get(key)
        if not events or len(events) < self.limit:
            return 0
        return max(1, math.ceil(events[0] + self.window - self.clock()))

    def _prune(self, now: float) -> None:
        for key in [k for k, ev in self._events.items() if not ev or ev[-1] <= now - self.window]:
            del self._events[key]
