"""Fault injection for tests: make the next requests to a path fail or stall."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class Fault:
    """Answer `status` (with headers/body) to the next `times` requests under `prefix`."""

    prefix: str
    status: int
    times: int
    headers: dict = field(default_factory=dict)
    body: dict | str | None = None


@dataclass
class Delay:
    """Sleep `seconds` before answering the next `times` requests under `prefix`."""

    prefix: str
    seconds: float
    times: int


class Faults:
    """Pending faults and delays, consumed in the order they were added."""

    def __init__(self):
        self._lock = threading.Lock()
        self.faults: list[Fault] = []
        self.delays: list[Delay] = []

    def fail(self, prefix: str, status: int, times: int = 1, headers=None, body=None) -> None:
        """Queue a failure."""
        with self._lock:
            self.faults.append(Fault(prefix, status, times, dict(headers or {}), body))

    def delay(self, prefix: str, seconds: float, times: int = 1) -> None:
        """Queue a delay."""
        with self._lock:
            self.delays.append(Delay(prefix, seconds, times))

    def clear(self) -> None:
        """Forget every pending fault and delay."""
        with self._lock:
            self.faults.clear()
            self.delays.clear()

    def take(self, path: str) -> tuple[float, Fault | None]:
        """Consume the delay and fault that apply to this request path, if any."""
        with self._lock:
            seconds = 0.0
            delay = next((d for d in self.delays if path.startswith(d.prefix)), None)
            if delay:
                seconds = delay.seconds
                delay.times -= 1
                if delay.times <= 0:
                    self.delays.remove(delay)
            fault = next((f for f in self.faults if path.startswith(f.prefix)), None)
            if fault:
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
            return seconds, fault
