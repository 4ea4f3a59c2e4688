"""The in-process rate-limit store (no REDIS_URL): `limits`' MemoryStorage without its timer thread.

MemoryStorage starts a new threading.Timer (0.01 s) to sweep expired counters whenever the last one
has finished, i.e. on nearly every rate-limited request: a thread started and run per login and
launch (bench/launch_compare.py profiled it), and the known race when several request threads
restart it at once. Counters already expire on read (MemoryStorage.get), so the sweep only frees
memory: here it runs inline, at most once a second, in whichever request gets there first.
Selected by RATELIMIT_STORAGE_URI `vbhc-memory://` (the default without Redis).
"""
from __future__ import annotations

import threading
import time

from limits.storage import MemoryStorage

SWEEP_SECONDS = 1.0


class InlineSweepMemoryStorage(MemoryStorage):
    """MemoryStorage with the sweep of expired counters inline and throttled, not in a thread."""

    STORAGE_SCHEME = ["vbhc-memory"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._next_sweep = 0.0
        self._sweeping = threading.Lock()

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces MemoryStorage's private timer restart
        """Sweep now if a second has passed and no other thread is sweeping; else nothing."""
        now = time.monotonic()
        if now < self._next_sweep or not self._sweeping.acquire(blocking=False):
            return
        try:
            self._next_sweep = now + SWEEP_SECONDS
            self._MemoryStorage__expire_events()
        finally:
            self._sweeping.release()
