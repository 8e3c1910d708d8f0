"""What is kept between requests: only what was computed at the versions asked for."""

from dozq.web.cache import KeptCache, kept_parts


class Computer:
    """Computes a tenant's part from its data (here: its version, as ``data`` says it
    now), and remembers whom it was asked for."""

    def __init__(self, gone=()):
        self.asked = []
        self.gone = set(gone)
        self.data: dict = {}

    def __call__(self, tenants):
        self.asked.append(sorted(tenants))
        return {
            tenant: f"part of {tenant} at {self.data[tenant]}"
            for tenant in tenants
            if tenant not in self.gone
        }

    def at(self, *versions):
        self.data.update(versions)
        return versions


def test_only_the_tenants_that_wrote_are_computed_again():
    cache, compute = KeptCache(), Computer()
    versions = compute.at((1, "a"), (2, "b"), (3, "c"))
    first = kept_parts(cache, "founder", versions, compute)
    assert first == {1: "part of 1 at a", 2: "part of 2 at b", 3: "part of 3 at c"}
    assert kept_parts(cache, "founder", versions, compute) is first
    assert compute.asked == [[1, 2, 3]], "nothing is computed while nobody writes"
    after = kept_parts(cache, "founder", compute.at((1, "a"), (2, "b2"), (3, "c")), compute)
    assert after == {**first, 2: "part of 2 at b2"} and compute.asked[1:] == [[2]]
    # Another key keeps its own parts.
    kept_parts(cache, "other founder", ((1, "a"),), compute)
    assert compute.asked[2:] == [[1]]


def test_new_and_removed_tenants():
    cache, compute = KeptCache(), Computer()
    kept_parts(cache, "founder", compute.at((1, "a"), (2, "b")), compute)
    parts = kept_parts(cache, "founder", compute.at((1, "a"), (3, "c")), compute)
    assert list(parts) == [1, 3] and compute.asked[1:] == [[3]]
    # Tenants only removed: nothing to compute.
    assert list(kept_parts(cache, "founder", ((3, "c"),), compute)) == [3]
    assert len(compute.asked) == 2


def test_a_tenant_deleted_meanwhile_has_no_part_and_nothing_kept():
    cache = KeptCache()
    compute = Computer(gone={2})
    versions = compute.at((1, "a"), (2, "b"))
    assert list(kept_parts(cache, "founder", versions, compute)) == [1]
    compute.gone.clear()
    assert list(kept_parts(cache, "founder", versions, compute)) == [1, 2]
    assert compute.asked == [[1, 2], [2]]


def test_a_stale_part_is_never_served_for_a_tenant_that_wrote():
    cache, compute = KeptCache(), Computer()
    kept_parts(cache, "founder", compute.at((1, "a")), compute)
    compute.gone.add(1)
    assert kept_parts(cache, "founder", compute.at((1, "a2")), compute) == {}


def test_the_least_recently_used_entries_are_dropped():
    cache = KeptCache(size=2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    cache.put("c", 3)
    assert cache.get("b") is None and cache.get("a") == 1 and cache.get("c") == 3
