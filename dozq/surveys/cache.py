"""A small in-process cache of rendered results, keyed so that it can never serve
one tenant's numbers to another nor stale numbers to anyone.

The key holds the institution, the questionnaire (id and moment of creation), its
row version (settings,
publication) and its ``data_version`` — bumped in the same transaction as every
response, recount and change of questions or groups — plus the filters. A new
answer therefore makes a new key; old entries simply age out (LRU). Each server
process keeps its own cache: nothing is shared, nothing is stored on disk.
"""

import threading
from collections import OrderedDict

MAX_ENTRIES = 256


class ResultsCache:
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


results_cache = ResultsCache()


def results_key(questionnaire, filters) -> tuple:
    return (
        questionnaire.institution_id,
        questionnaire.id,
        # A deleted questionnaire's id may come back (SQLite reuses the highest rowid):
        # its moment of creation tells the two apart.
        questionnaire.created_at,
        questionnaire.version,
        questionnaire.data_version,
        filters.audience,
        filters.group_id,
        filters.school_year,
        filters.all_years,
    )
