"""In-process login throttle and account lockout.

Two limits: a short pause after a few failures from one address for one username (a mistyped password), and
a lockout of the account after many failures from anywhere within a window (a guessing attack spread over
addresses). Both answer with how long to wait; a locked account refuses even the right password until then.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

_MAX_KEYS = 10_000  # bounded memory under a spray of usernames


def _prune(times: deque[float], now: float, window_s: float) -> deque[float]:
    while times and now - times[0] > window_s:
        times.popleft()
    return times


@dataclass
class LoginLimiter:
    max_failures: int = 5  # per username and client address ...
    window_s: float = 300.0  # ... within this window, then a pause until the oldest failure leaves it
    lockout_failures: int = 10  # per username from any address ...
    lockout_window_s: float = 900.0  # ... within this window locks the account ...
    lockout_s: float = 900.0  # ... for this long
    _failures: dict[tuple[str, str], deque[float]] = field(default_factory=dict)
    _account_failures: dict[str, deque[float]] = field(default_factory=dict)
    _locked_until: dict[str, float] = field(default_factory=dict)

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        return _prune(self._failures.setdefault(key, deque()), now, self.window_s)

    def locked_for(self, username: str, now: float | None = None) -> float:
        """Seconds the account stays locked; 0 when it is not locked."""
        now = time.monotonic() if now is None else now
        until = self._locked_until.get(username.casefold())
        if until is None:
            return 0.0
        if until <= now:
            del self._locked_until[username.casefold()]
            return 0.0
        return until - now

    def retry_after(self, username: str, ip: str, now: float | None = None) -> float:
        """Seconds until another attempt is allowed; 0 when allowed now."""
        now = time.monotonic() if now is None else now
        locked = self.locked_for(username, now)
        times = self._recent((username.casefold(), ip), now)
        paused = 0.0 if len(times) < self.max_failures else max(0.0, self.window_s - (now - times[0]))
        return max(locked, paused)

    def failed(self, username: str, ip: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        user = username.casefold()
        self._recent((user, ip), now).append(now)
        account = _prune(self._account_failures.setdefault(user, deque()), now, self.lockout_window_s)
        account.append(now)
        if len(account) >= self.lockout_failures:
            self._locked_until[user] = now + self.lockout_s
            account.clear()
        self._bound(now)

    def succeeded(self, username: str, ip: str) -> None:
        user = username.casefold()
        self._failures.pop((user, ip), None)
        self._account_failures.pop(user, None)

    def _bound(self, now: float) -> None:
        if len(self._failures) > _MAX_KEYS:
            self._failures = {k: v for k, v in self._failures.items() if v and now - v[-1] < self.window_s}
        if len(self._account_failures) > _MAX_KEYS:
            self._account_failures = {k: v for k, v in self._account_failures.items()
                                      if v and now - v[-1] < self.lockout_window_s}
        if len(self._locked_until) > _MAX_KEYS:
            self._locked_until = {k: v for k, v in self._locked_until.items() if v > now}
