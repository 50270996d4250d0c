"""``Remembered``: values kept in the process until a time of their own, for facts a request would otherwise
fetch again although they cannot have changed yet (a token's verification until it expires, an email
without pending enrollments for a minute). Not shared between processes: what each one remembers must be
safe to act on until its time is up."""

import threading
import time
import weakref
from typing import Any, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Remembered(Generic[K, V]):
    """At most ``size`` values, each until its own time (``time.time()`` seconds); the oldest put dropped
    first when full. Thread-safe: a gunicorn worker's threads share one."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._values: dict[K, tuple[V, float]] = {}
        self._lock = threading.Lock()
        _every.add(self)

    def get(self, key: K) -> V | None:
        """The value put for ``key`` while its time is not up, else ``None``."""
        found = self._values.get(key)
        if found is None:
            return None
        value, until = found
        if time.time() >= until:
            with self._lock:
                if self._values.get(key) is found:
                    del self._values[key]
            return None
        return value

    def put(self, key: K, value: V, until: float) -> None:
        with self._lock:
            self._values.pop(key, None)
            self._values[key] = (value, until)
            while len(self._values) > self._size:
                del self._values[next(iter(self._values))]

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


_every: "weakref.WeakSet[Remembered[Any, Any]]" = weakref.WeakSet()


def forget_everything() -> None:
    """Empty every ``Remembered`` of the process: for tests, where each test's database starts anew."""
    for remembered in list(_every):
        remembered.clear()
