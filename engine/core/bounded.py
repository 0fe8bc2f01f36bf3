"""A map that keeps at most a given number of entries, dropping the oldest first: for per-process caches of
results that depend on their key alone, so that dropping one only costs working it out again."""
from __future__ import annotations

import threading
from typing import Generic, Hashable, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedMap(Generic[K, V]):
    """Reads take no lock (a dict read is atomic); writes do, so that two threads never evict the same entry."""

    def __init__(self, kept: int) -> None:
        self.kept = kept
        self._entries: dict[K, V] = {}
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        return self._entries.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def put(self, key: K, value: V) -> None:
        with self._lock:
            if key not in self._entries and len(self._entries) >= self.kept:
                del self._entries[next(iter(self._entries))]
            self._entries[key] = value
