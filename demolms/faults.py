"""Fault injection for tests: make the next requests to a path fail or stall — the next N of them
(fail, delay), or all of them during a window of time (fail_for, delay_for)."""
from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Fault:
    """Answer `status` (with headers/body) to the next `times` requests under `prefix` — or, with
    `until` set, to every request under it from `start` until `until` (time.monotonic())."""

    prefix: str
    status: int
    times: int
    headers: dict = field(default_factory=dict)
    body: dict | str | None = None
    start: float = 0.0
    until: float | None = None


@dataclass
class Delay:
    """Sleep `seconds` before answering the next `times` requests under `prefix` — or, with `until`
    set, every request under it from `start` until `until` (time.monotonic())."""

    prefix: str
    seconds: float
    times: int
    start: float = 0.0
    until: float | None = None
    gate: threading.Event | None = None   # set: the held requests go on at once (Faults.hold)

    def wait(self) -> None:
        """Hold the request: `seconds`, or until the gate opens, whichever comes first."""
        if self.gate is not None:
            self.gate.wait(self.seconds)
        else:
            time.sleep(self.seconds)


def _window(seconds: float, after: float) -> tuple[float, float]:
    start = time.monotonic() + after
    return start, start + seconds


class Faults:
    """Pending faults and delays, consumed in the order they were added."""

    def __init__(self):
        self._lock = threading.Lock()
        self.faults: list[Fault] = []
        self.delays: list[Delay] = []
        # Requests per path that have arrived (before any delay): with the platform's request log
        # (written when they are answered) a test sees which are still in progress.
        self.arrivals: Counter = Counter()

    def fail(self, prefix: str, status: int, times: int = 1, headers=None, body=None) -> None:
        """Queue a failure."""
        with self._lock:
            self.faults.append(Fault(prefix, status, times, dict(headers or {}), body))

    def delay(self, prefix: str, seconds: float, times: int = 1) -> None:
        """Queue a delay."""
        with self._lock:
            self.delays.append(Delay(prefix, seconds, times))

    def hold(self, prefix: str, at_most: float, times: int = 1) -> threading.Event:
        """Hold the next `times` requests under `prefix` until the returned event is set (or
        `at_most` seconds pass): a test decides when the LMS answers, instead of racing a sleep."""
        gate = threading.Event()
        with self._lock:
            self.delays.append(Delay(prefix, at_most, times, gate=gate))
        return gate

    def arrived(self, prefix: str) -> int:
        """How many requests under `prefix` have arrived (answered or still held)."""
        with self._lock:
            return sum(n for path, n in self.arrivals.items() if path.startswith(prefix))

    def fail_for(self, prefix: str, status: int, seconds: float, headers=None, body=None, after: float = 0.0) -> None:
        """Answer `status` to every request under `prefix` for `seconds`, starting `after` seconds from now."""
        start, until = _window(seconds, after)
        with self._lock:
            self.faults.append(Fault(prefix, status, 0, dict(headers or {}), body, start, until))

    def delay_for(self, prefix: str, delay: float, seconds: float, after: float = 0.0) -> None:
        """Hold every request under `prefix` for `delay` seconds, during `seconds` from `after` seconds from now."""
        start, until = _window(seconds, after)
        with self._lock:
            self.delays.append(Delay(prefix, delay, 0, start, until))

    def clear(self) -> None:
        """Forget every pending fault and delay."""
        with self._lock:
            self.faults.clear()
            self.delays.clear()

    def take(self, path: str) -> tuple[Delay | None, Fault | None]:
        """Consume the delay and fault that apply to this request path, if any."""
        with self._lock:
            self.arrivals[path] += 1
            now = time.monotonic()
            self.delays[:] = [d for d in self.delays if d.until is None or d.until > now]
            self.faults[:] = [f for f in self.faults if f.until is None or f.until > now]
            delay = next((d for d in self.delays if path.startswith(d.prefix) and d.start <= now), None)
            if delay:
                if delay.until is None:
                    delay.times -= 1
                    if delay.times <= 0:
                        self.delays.remove(delay)
            fault = next((f for f in self.faults if path.startswith(f.prefix) and f.start <= now), None)
            if fault and fault.until is None:
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
            return delay, fault
