"""A small in-process LRU of pieces of pages, computed or rendered from tenants' data.

Callers make the keys, and a key must hold everything the value was computed
from: the tenant and a version of its data that changes with every write (such
as a questionnaire's ``data_version`` or an institution's). A change then makes
a new key and old entries simply age out; nothing is ever invalidated by hand.
``kept_parts`` keeps the parts of many tenants under one key, each beside the
version it was computed at.
Each server process keeps its own cache: nothing is shared, nothing is stored on
disk.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

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


@dataclass(frozen=True)
class KeptParts:
    """Parts of many tenants kept together: each computed at its tenant's version."""

    #: (tenant id, version) of each part.
    versions: tuple
    #: tenant id → its part, in the order of ``versions``.
    parts: dict


def kept_parts(cache: KeptCache, key, versions: tuple, compute: Callable) -> dict:
    """tenant id → part, of each tenant of ``versions`` ((tenant id, data version) …).

    The parts kept under ``key`` at the same versions are reused; those of tenants
    that wrote since (or are new) are computed, all at once, by ``compute(tenant ids)``
    → {tenant id: part}. A tenant ``compute`` does not return (deleted meanwhile) has
    no part. Comparing the versions costs a few microseconds, where looking each part
    up by its own key costs one cache lookup per tenant.
    """
    kept = cache.get(key)
    if kept is not None and kept.versions == versions:
        return kept.parts
    known = {} if kept is None else dict(kept.versions)
    missing = [tenant for tenant, version in versions if known.get(tenant) != version]
    computed = compute(missing) if missing else {}
    read_again = set(missing)
    parts = {}
    for tenant, _version in versions:
        part = computed.get(tenant) if tenant in read_again else kept.parts.get(tenant)
        if part is not None:
            parts[tenant] = part
    kept_versions = tuple(pair for pair in versions if pair[0] in parts)
    cache.put(key, KeptParts(kept_versions, parts))
    return parts
