"""The cache of rendered questionnaire results (``dozq.web.cache``), keyed so that
it can never serve one tenant's numbers to another nor stale numbers to anyone.

The key holds the institution, the questionnaire (id and moment of creation), its
row version (settings,
publication) and its ``data_version`` — bumped in the same transaction as every
response, recount and change of questions or groups — plus the filters. A new
answer therefore makes a new key; old entries simply age out (LRU). Each server
process keeps its own cache: nothing is shared, nothing is stored on disk.
"""

from dozq.web.cache import KeptCache

results_cache = KeptCache()


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
