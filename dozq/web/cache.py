"""A small in-process LRU of pieces of pages, computed or rendered from tenants' data.

Callers make the keys, and a key must hold everything the value was computed
from: the tenant and a version of its data that changes with every write (such
as a questionnaire's ``data_version`` or an institution's). A change then makes
a new key and old entries simply age out; nothing is ever invalidated by hand.
Each server process keeps its own cache: nothing is shared, nothing is stored on
disk.
"""

import threading
from collections import OrderedDict

MAX_ENTRIES = 256


class KeptCache:
    def __init__(self, size: int = MAX_ENTRIES):
        self._size = size
        self._lock = threading.Lock()
        self._entries: OrderedDict = OrderedDict()

    def get(self, key):
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
