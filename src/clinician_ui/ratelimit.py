"""In-process login throttle: a few failures per username and client address, then a pause."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field


@dataclass
class LoginLimiter:
    max_failures: int = 5
    window_s: float = 300.0
    _failures: dict[tuple[str, str], deque[float]] = field(default_factory=dict)

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and now - times[0] > self.window_s:
            times.popleft()
        return times

    def retry_after(self, username: str, ip: str, now: float | None = None) -> float:
        """Seconds until another attempt is allowed; 0 when allowed now."""
        now = time.monotonic() if now is None else now
        times = self._recent((username.casefold(), ip), now)
        if len(times) < self.max_failures:
            return 0.0
        return max(0.0, self.window_s - (now - times[0]))

    def failed(self, username: str, ip: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self._recent((username.casefold(), ip), now).append(now)
        if len(self._failures) > 10_000:  # keep memory bounded under a spray of usernames
            self._failures = {k: v for k, v in self._failures.items() if v and now - v[-1] < self.window_s}

    def succeeded(self, username: str, ip: str) -> None:
        self._failures.pop((username.casefold(), ip), None)
