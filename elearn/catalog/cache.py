"""Catalog content kept in memory in every process, keyed by content hash.

A module version's content is fixed by its hash (the module's files plus the renderer version)
and never changes once written; a catalog document's hash is the digest of its data. So a page
asks the database only which hash is current — a few bytes — and takes the rendered lessons,
quiz pool or sources from memory once this process has seen them, instead of reading and
decoding the whole JSON on every request. Being keyed by hash, a cached value cannot go stale:
a new load means a new hash. Values are shared between requests and threads: read them, never
change them.
"""
from __future__ import annotations

import threading
from collections import OrderedDict


class HashCache:
    """A small thread-safe LRU map from a content hash (or (key, hash)) to immutable data."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        """The value, or None; marks it recently used."""
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        """Keep a value, dropping the least recently used beyond `size`."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        """Forget everything (tests)."""
        with self._lock:
            self._items.clear()


# ~25 modules in the curriculum, a few versions each in flight; a version is 100–300 kB decoded.
module_versions = HashCache(128)
documents = HashCache(16)
