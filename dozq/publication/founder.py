"""The founder's dashboard: all its institutions side by side, in alphabetical order.

No ranking: the seed says results serve each institution's development. The
founder sees what institutions published and how far their work has gone; the
levels of a cycle not yet published only when the institution shares its drafts.

The results of cycles whose ratings are final are read from ``DirectionResult``
(stored when the pedagogical council discussed them), so the page reads a few
hundred rows whatever the number of ratings; only the shared drafts of the shown
year are aggregated on the fly. A fixed number of statements for any number of
institutions and years; runs in the founder's scope.

Everything on the board is put together from parts that each depend on one
institution's data alone — its History (years and published results) and its Row
of a school year — so each part is kept under the institution's ``data_version``
and, after a write, only the institutions that wrote are read again.
"""

import re
from dataclasses import dataclass, field
from functools import cache
from operator import attrgetter
from typing import NamedTuple

from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    and_,
    bindparam,
    cast,
    false,
    func,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import aliased

from dozq.assessment.models import AssessmentCycle, CycleStatus, DirectionResult, ItemAssessment
from dozq.assessment.queries import scale_views
from dozq.assessment.scoring import from_hundredths, mean_of_hundredths
from dozq.catalog.models import CatalogItem, ItemKind
from dozq.db import db
from dozq.publication.models import PublicationSettings
from dozq.quality_system.models import LevelScale
from dozq.quality_system.services import format_score
from dozq.regulation.models import EditionStatus, RegulationEdition
from dozq.surveys.models import Questionnaire, SurveyResponse
from dozq.tenancy.models import Institution
from dozq.tenancy.scope import current_scope, tenant_scope
from dozq.web.cache import KeptCache

PUBLISHED = (CycleStatus.PUBLISHED, CycleStatus.CLOSED)
#: From «обговорено» on a cycle's ratings are final and its results stored.
FINAL = (CycleStatus.DISCUSSED, *PUBLISHED)
#: Stored names of the statuses (the column read untyped, for speed).
STATUSES = CycleStatus.__members__


class Cell(NamedTuple):
    """One direction of one institution's shown cycle, its words ready for the page."""

    score: object
    text: str
    css: str = "level-none"


NOT_PUBLISHED = Cell(None, "не оприлюднено")
NO_DATA = Cell(None, "немає даних")


def _cell(points: int | None, level_name: str, css: str) -> Cell:
    if points is None:
        return NO_DATA
    score = from_hundredths(points)
    text = f"{format_score(score)} — {level_name}" if level_name else format_score(score)
    return Cell(score, text, css or "level-none")


@dataclass(frozen=True)
class InstitutionRef:
    id: int
    slug: str
    short_name: str


@dataclass(frozen=True)
class Row:
    """What one institution shows for a school year: a function of its own data only,
    so it is kept at the institution's data version."""

    institution: InstitutionRef
    #: Its key in the alphabetical order of the board (``alphabetical``, then the id).
    sort_key: tuple
    regulation: str = "не розпочато"
    regulation_published: bool = False
    cycle_title: str = ""
    cycle_status: CycleStatus | None = None
    levels_visible: bool = False
    #: direction code → Cell of the shown cycle's visible results.
    results: dict = field(default_factory=dict)
    #: direction code → its wording in the shown cycle's catalog.
    titles: dict = field(default_factory=dict)
    surveys: tuple = ()

    def cell(self, code: str) -> Cell:
        if not self.levels_visible:
            return NOT_PUBLISHED if self.cycle_status else NO_DATA
        return self.results.get(code, NO_DATA)


@dataclass(frozen=True)
class History:
    """One institution's years with cycles and, of each year, the stored results of
    its latest published cycle: the mean of its directions and each direction's score
    (hundredths). A function of its own data only, kept at its data version."""

    years: frozenset = frozenset()
    means: dict = field(default_factory=dict)
    #: direction code → {school year: points}.
    by_code: dict = field(default_factory=dict)


NO_HISTORY = History()


@dataclass(frozen=True)
class Board:
    rows: list
    years: list
    school_year: int | None
    #: (code, wording) of the directions of the shown year: the heat map's columns.
    directions: list
    #: (code, wording if the shown year has it) of the directions with published results.
    trend_directions: list
    #: The direction the trend is of (None: the mean of all directions).
    direction: str | None
    #: (school year, mean, institutions) over published results, oldest first.
    trend: list

    @property
    def codes(self) -> tuple:
        return tuple(code for code, _text in self.directions)

    def cells(self, row: Row) -> dict:
        """direction code → Cell of ``row`` in the heat map's columns."""
        return {code: row.cell(code) for code in self.codes}


#: Ukrainian letters in alphabetical order; Python compares code points, which put
#: «є», «і», «ї» and «ґ» after «я».
_ALPHABET = "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя"
_LETTER_ORDER = str.maketrans(
    {
        **{
            letter: chr(0xE000 + position)
            for position, small in enumerate(_ALPHABET)
            for letter in (small, small.upper())
        },
        **dict.fromkeys("'ʼ’"),
    }
)


def alphabetical(name: str) -> tuple:
    """A sort key of ``name`` in Ukrainian alphabetical order, regardless of case and
    of apostrophes (as dictionaries order «Мар'янівка»), with numbers by their value
    («ЗДО № 9» before «ЗДО № 10»)."""
    parts = re.split(r"(\d+)", name.translate(_LETTER_ORDER))
    return tuple(int(part) if index % 2 else part for index, part in enumerate(parts))


def _half_up_mean(column):
    """The mean of integer hundredths rounded half up, in SQL (``mean_of_hundredths``)."""
    # PostgreSQL sums bigints (the sums of sums) as numeric: the cast keeps the
    # division an integer one.
    total = cast(func.sum(column), BigInteger)
    return (2 * total + func.count(column)) // (2 * func.count(column))


def direction_scores(cycle_ids) -> list:
    """(cycle id, direction code, direction wording, points, level set by hand) of
    cycles whose ratings are not final yet: the mean of means up the tree
    (indicators → criteria → requirements → directions), in one statement."""
    indicator = aliased(CatalogItem)
    criterion = aliased(CatalogItem)
    requirement = aliased(CatalogItem)
    direction = aliased(CatalogItem)
    # The column holds hundredths (Hundredths); read untyped, the raw integer.
    points = type_coerce(ItemAssessment.score, Integer)
    by_criterion = (
        select(
            ItemAssessment.cycle_id.label("cycle_id"),
            indicator.parent_id.label("criterion_id"),
            _half_up_mean(points).label("points"),
        )
        .join(indicator, indicator.id == ItemAssessment.item_id)
        .where(
            ItemAssessment.score.is_not(None),
            indicator.kind == ItemKind.INDICATOR,
            ItemAssessment.cycle_id.in_(list(cycle_ids)),
        )
        .group_by(ItemAssessment.cycle_id, indicator.parent_id)
        .subquery()
    )
    by_requirement = (
        select(
            by_criterion.c.cycle_id,
            criterion.parent_id.label("requirement_id"),
            _half_up_mean(by_criterion.c.points).label("points"),
        )
        .join(criterion, criterion.id == by_criterion.c.criterion_id)
        .group_by(by_criterion.c.cycle_id, criterion.parent_id)
        .subquery()
    )
    conclusion = aliased(ItemAssessment)
    by_direction = (
        select(
            by_requirement.c.cycle_id,
            direction.code,
            direction.text,
            _half_up_mean(by_requirement.c.points),
            conclusion.override_level_id,
        )
        .join(requirement, requirement.id == by_requirement.c.requirement_id)
        .join(direction, direction.id == requirement.parent_id)
        .outerjoin(
            conclusion,
            and_(
                conclusion.cycle_id == by_requirement.c.cycle_id,
                conclusion.item_id == direction.id,
            ),
        )
        .group_by(
            by_requirement.c.cycle_id,
            direction.code,
            direction.text,
            conclusion.override_level_id,
        )
    )
    return db.session.execute(by_direction).all()


@cache
def _history_statement():
    """(institution, school year, None, None) of every year with cycles, and
    (institution, school year, code, points) of the stored results of the latest
    published cycle of each institution in each year."""
    latest = (
        select(func.max(AssessmentCycle.id))
        .where(AssessmentCycle.status.in_(PUBLISHED))
        .group_by(AssessmentCycle.institution_id, AssessmentCycle.school_year)
    )
    years = select(
        AssessmentCycle.institution_id,
        AssessmentCycle.school_year,
        null().cast(String),
        null().cast(Integer),
    ).distinct()
    results = (
        select(
            AssessmentCycle.institution_id,
            AssessmentCycle.school_year,
            DirectionResult.code,
            DirectionResult.points,
        )
        .join(DirectionResult, DirectionResult.cycle_id == AssessmentCycle.id)
        .where(DirectionResult.points.is_not(None))
    )
    return union_all(years, results.where(AssessmentCycle.id.in_(latest)))


@cache
def _shown_cycles_statement():
    """The cycles of ``:school_year`` with their stored direction results and the
    directions' wording as their catalog has it now."""
    wording = aliased(CatalogItem)
    return (
        select(
            AssessmentCycle.id,
            AssessmentCycle.institution_id,
            # Enums read as stored (names): no type processing per value.
            type_coerce(AssessmentCycle.status, String),
            AssessmentCycle.title,
            AssessmentCycle.scale_id,
            LevelScale.created_at,
            DirectionResult.code,
            DirectionResult.points,
            DirectionResult.level_name,
            DirectionResult.level_css,
            wording.text,
        )
        .outerjoin(LevelScale, LevelScale.id == AssessmentCycle.scale_id)
        .outerjoin(DirectionResult, DirectionResult.cycle_id == AssessmentCycle.id)
        .outerjoin(
            wording,
            and_(
                wording.catalog_id == AssessmentCycle.catalog_id,
                wording.code == DirectionResult.code,
                wording.kind == ItemKind.DIRECTION,
            ),
        )
        .where(AssessmentCycle.school_year == bindparam("school_year"))
        .order_by(AssessmentCycle.id, DirectionResult.code)
    )


@cache
def _institutions_statement(with_year: bool):
    """Institutions with their regulation's editions and, when ``with_year``, the
    questionnaires published for ``:school_year`` with their responses."""
    published_number = (
        select(func.max(RegulationEdition.number))
        .where(
            RegulationEdition.institution_id == Institution.id,
            RegulationEdition.status == EditionStatus.PUBLISHED,
        )
        .correlate(Institution)
        .scalar_subquery()
    )
    newest = (
        select(RegulationEdition.number, RegulationEdition.status)
        .where(
            RegulationEdition.institution_id == Institution.id,
            RegulationEdition.status != EditionStatus.ARCHIVED,
        )
        .correlate(Institution)
        .order_by(RegulationEdition.number.desc())
        .limit(1)
    )
    responses = (
        select(func.count(SurveyResponse.id))
        .where(SurveyResponse.questionnaire_id == Questionnaire.id)
        .correlate(Questionnaire)
        .scalar_subquery()
    )
    return (
        select(
            Institution.id,
            Institution.slug,
            Institution.short_name,
            PublicationSettings.share_drafts_with_founder,
            published_number,
            newest.with_only_columns(RegulationEdition.number).scalar_subquery(),
            newest.with_only_columns(RegulationEdition.status).scalar_subquery(),
            Questionnaire.title,
            Questionnaire.expected_respondents,
            responses,
        )
        .outerjoin(PublicationSettings, PublicationSettings.institution_id == Institution.id)
        .outerjoin(
            Questionnaire,
            and_(
                Questionnaire.institution_id == Institution.id,
                Questionnaire.published_at.is_not(None),
                Questionnaire.school_year == bindparam("school_year") if with_year else false(),
            ),
        )
        .order_by(Institution.id, Questionnaire.title)
    )


def _draft_results(cycles: list) -> dict[int, dict]:
    """cycle id → code → (points, level name, css, wording) of shared drafts, whose
    ratings may still change: aggregated now, levelled as the cycle's roll-up does
    (a level set by hand on a direction wins)."""
    scales = scale_views(sorted({cycle[5] for cycle in cycles if cycle[4] is not None}))
    scale_of = {cycle[0]: scales.get(cycle[4]) for cycle in cycles}
    found: dict[int, dict] = {}
    for cycle_id, code, text, points, override_id in direction_scores(scale_of):
        scale = scale_of[cycle_id]
        level = None
        if scale is not None:
            level = scale.by_id(override_id) or scale.level_of_hundredths(points)
        name, css = (level.name, level.css) if level else ("", "")
        found.setdefault(cycle_id, {})[code] = (points, name, css, text)
    return found


def _histories() -> dict[int, History]:
    """institution id → its History, of every institution in the scope."""
    years: dict[int, set] = {}
    results: dict[int, dict] = {}
    # All rows at once: one fetch, rather than one per row.
    for institution_id, year, code, points in db.session.execute(_history_statement()).all():
        if code is None:
            years.setdefault(institution_id, set()).add(year)
        else:
            results.setdefault(institution_id, {}).setdefault(year, {})[code] = points
    found = {}
    for institution_id, own_years in years.items():
        means, by_code = {}, {}
        for year, scores in results.get(institution_id, {}).items():
            means[year] = mean_of_hundredths(list(scores.values()))
            for code, points in scores.items():
                by_code.setdefault(code, {})[year] = points
        found[institution_id] = History(frozenset(own_years), means, by_code)
    return found


def _trend(histories: list[History], direction: str | None) -> list:
    """(school year, mean, institutions), oldest first: the mean of the institutions'
    results (of all directions, or of ``direction``), rounded half up."""
    by_year: dict[int, list] = {}
    for history in histories:
        points = history.means if direction is None else history.by_code.get(direction, {})
        for year, value in points.items():
            by_year.setdefault(year, []).append(value)
    return [
        (year, from_hundredths(mean_of_hundredths(values)), len(values))
        for year, values in sorted(by_year.items())
    ]


def _regulation(published, number, status) -> tuple[str, bool]:
    """The regulation's state in words, and whether an edition is published."""
    if status is not None and not isinstance(status, EditionStatus):
        status = EditionStatus[status]
    if published is not None:
        text = f"оприлюднено (редакція {published})"
        if number is not None and number != published:
            text += f"; редакція {number}: {status.label}"
        return text, True
    if number is not None:
        return f"редакція {number}: {status.label}", False
    return "не розпочато", False


def _rows(school_year: int | None) -> dict[int, Row]:
    """institution id → its Row for ``school_year``, of every institution in the
    scope: its regulation, its latest cycle of the year with the results it lets the
    founder see, and the questionnaires published for the year."""
    fields: dict[int, dict] = {}
    sharing = set()
    for (
        institution_id,
        slug,
        name,
        share,
        published,
        number,
        status,
        survey,
        expected,
        count,
    ) in db.session.execute(
        _institutions_statement(school_year is not None),
        {} if school_year is None else {"school_year": school_year},
    ).all():
        own = fields.get(institution_id)
        if own is None:
            regulation, regulation_published = _regulation(published, number, status)
            own = fields[institution_id] = {
                "institution": InstitutionRef(institution_id, slug, name),
                "sort_key": (alphabetical(name), institution_id),
                "regulation": regulation,
                "regulation_published": regulation_published,
                "surveys": [],
            }
            if share:
                sharing.add(institution_id)
        if survey is not None:
            rate = f"{round(100 * count / expected)} %" if expected else "—"
            own["surveys"].append((survey, count, rate))
    #: institution id → its latest cycle of the shown year (the one shown).
    shown: dict[int, tuple] = {}
    results: dict[int, dict] = {}
    for (
        cycle_id,
        institution_id,
        status,
        title,
        scale_id,
        scale_created,
        code,
        *result,
    ) in db.session.execute(_shown_cycles_statement(), {"school_year": school_year}).all():
        cycle = shown.get(institution_id)
        if cycle is None or cycle[0] != cycle_id:
            shown[institution_id] = (
                cycle_id,
                institution_id,
                STATUSES[status],
                title,
                scale_id,
                (scale_id, scale_created),
            )
            results[cycle_id] = {}
        if code is not None:
            results[cycle_id][code] = result
    drafts = [cycle for cycle in shown.values() if cycle[2] not in FINAL and cycle[1] in sharing]
    if drafts:
        results.update(_draft_results(drafts))
    for cycle_id, institution_id, status, title, _scale, _key in shown.values():
        own = fields.get(institution_id)
        if own is None:
            continue
        visible = status in PUBLISHED or institution_id in sharing
        own.update(cycle_title=title, cycle_status=status, levels_visible=visible)
        if visible:
            found = results[cycle_id]
            own["results"] = {code: _cell(*result[:3]) for code, result in found.items()}
            own["titles"] = {code: result[3] or code for code, result in found.items()}
    return {
        institution_id: Row(**{**own, "surveys": tuple(own["surveys"])})
        for institution_id, own in fields.items()
    }


#: Each institution's History and its Row of each school year shown, kept at its data
#: version: a few entries per institution (some 2 kB each), for some forty founders of
#: a hundred institutions each before the least recently used are dropped.
parts = KeptCache(8192)


def _parts(kind: str, versions: tuple | None, compute, default, *args) -> list:
    """Each institution's part of ``kind``: kept at the institution's data version, or
    computed — for all the institutions whose part is not kept, at once. Without
    ``versions`` everything is computed and nothing kept. An institution absent from
    what was computed gets ``default``, which is kept unless None (an institution
    deleted meanwhile: no part, nothing kept)."""
    if versions is None:
        return list(compute(*args).values())
    keys = [(kind, institution_id, version, *args) for institution_id, version in versions]
    found = [parts.get(key) for key in keys]
    missing = [key[1] for key, part in zip(keys, found, strict=True) if part is None]
    if not missing:
        return found
    if len(missing) == len(keys):
        computed = compute(*args)
    else:
        # Read in the scope of the institutions that wrote alone: of one (the usual
        # case), its own scope, whose criteria are plain equalities.
        with tenant_scope(db.session, current_scope(db.session).narrowed(missing)):
            computed = compute(*args)
    for index, key in enumerate(keys):
        if found[index] is None:
            found[index] = computed.get(key[1], default)
            if found[index] is not None:
                parts.put(key, found[index])
    return [part for part in found if part is not None]


def founder_board(
    school_year: int | None = None, direction: str | None = None, versions: tuple | None = None
) -> Board:
    """The board in at most five statements whatever the number of institutions and
    years: the institutions' histories, their regulations and questionnaires, the
    shown year's cycles with their results and — when institutions share drafts — the
    drafts' scores and levels.

    ``versions``: (institution id, data version) of the founder's institutions
    (``g.institution_versions``). What was computed of an institution at its version
    is kept; only the institutions that wrote since are read again."""
    histories = _parts("history", versions, _histories, NO_HISTORY)
    years = sorted(set().union(*(history.years for history in histories)), reverse=True)
    if school_year is None and years:
        school_year = years[0]
    rows = sorted(_parts("row", versions, _rows, None, school_year), key=attrgetter("sort_key"))
    titles: dict[str, str] = {}
    for row in rows:
        if row.levels_visible:
            for code, wording in row.titles.items():
                titles.setdefault(code, wording)
    trend_codes = set().union(*(history.by_code for history in histories))
    return Board(
        rows,
        years,
        school_year,
        [(code, titles[code]) for code in sorted(titles)],
        [(code, titles.get(code, "")) for code in sorted(trend_codes)],
        direction,
        _trend(histories, direction),
    )
