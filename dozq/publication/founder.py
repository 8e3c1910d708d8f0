"""The founder's dashboard: all its institutions side by side, in alphabetical order.

No ranking: the seed says results serve each institution's development. The
founder sees what institutions published and how far their work has gone; the
levels of a cycle not yet published only when the institution shares its drafts.

The results of cycles whose ratings are final are read from ``DirectionResult``
(stored when the pedagogical council discussed them), so the page reads a few
hundred rows whatever the number of ratings; only shared drafts are aggregated
on the fly. A fixed number of statements for any number of institutions and
years; runs in the founder's scope.

All the board shows of an institution, in every school year, is its Record: a
function of its own data alone, kept at the institution's ``data_version``. After
a write only the institutions that wrote are read again.
"""

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from operator import attrgetter
from typing import NamedTuple

from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    and_,
    cast,
    func,
    select,
    type_coerce,
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
from dozq.web.cache import KeptCache, kept_parts

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


@lru_cache(maxsize=4096)
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
    """What one institution shows for a school year."""

    institution: InstitutionRef
    regulation: str = "не розпочато"
    regulation_published: bool = False
    #: The year's latest cycle: how far the institution's work has gone.
    cycle_title: str = ""
    cycle_status: CycleStatus | None = None
    levels_visible: bool = False
    #: The cycle whose levels are shown, when not the latest (a newer one under way).
    levels_title: str = ""
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
    (hundredths)."""

    years: frozenset = frozenset()
    means: dict = field(default_factory=dict)
    #: direction code → {school year: points}.
    by_code: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Record:
    """All the board shows of one institution, in every school year: a function of
    its own data only, so it is kept at the institution's data version."""

    #: Its key in the alphabetical order of the board (``alphabetical``, then the id).
    sort_key: tuple
    history: History
    #: What it shows in a year without cycles or questionnaires: its regulation.
    idle: Row
    #: school year → its latest cycle (the one shown), with its results.
    shown: dict
    #: school year → the latest of its cycles whose results the founder may see
    #: (published, or any when the institution shares its drafts).
    levelled: dict
    #: school year → the questionnaires published for it: (title, responses, rate) …
    surveys: dict
    #: Does it share its drafts' levels with the founder?
    sharing: bool
    #: school year → its Row, of the years with data, made when the year is first shown.
    rows: dict = field(default_factory=dict, compare=False, repr=False)

    def row(self, school_year: int | None) -> Row:
        if school_year not in self.shown and school_year not in self.surveys:
            return self.idle
        row = self.rows.get(school_year)
        if row is None:
            # Two requests may make the same row at once: equal rows, either kept.
            row = self.rows[school_year] = self._row(school_year)
        return row

    def _row(self, school_year: int) -> Row:
        fields = {"surveys": self.surveys.get(school_year, ())}
        if school_year in self.shown:
            cycle = self.shown[school_year]
            fields.update(cycle_title=cycle.title, cycle_status=cycle.status)
            levelled = self.levelled.get(school_year)
            if levelled is not None:
                found = levelled.results
                fields.update(
                    levels_visible=True,
                    levels_title="" if levelled is cycle else levelled.title,
                    results={code: _cell(*result[:3]) for code, result in found.items()},
                    titles={code: result[3] or code for code, result in found.items()},
                )
        idle = self.idle
        return Row(idle.institution, idle.regulation, idle.regulation_published, **fields)


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
def _cycles_statement():
    """Every cycle with its stored direction results and the directions' wording as
    their catalog has it now."""
    wording = aliased(CatalogItem)
    return (
        select(
            AssessmentCycle.id,
            AssessmentCycle.institution_id,
            AssessmentCycle.school_year,
            # Enums read as stored (names): no type processing per value.
            type_coerce(AssessmentCycle.status, String),
            AssessmentCycle.title,
            AssessmentCycle.scale_id,
            DirectionResult.code,
            DirectionResult.points,
            DirectionResult.level_name,
            DirectionResult.level_css,
            wording.text,
        )
        .outerjoin(DirectionResult, DirectionResult.cycle_id == AssessmentCycle.id)
        .outerjoin(
            wording,
            and_(
                wording.catalog_id == AssessmentCycle.catalog_id,
                wording.code == DirectionResult.code,
                wording.kind == ItemKind.DIRECTION,
            ),
        )
        .order_by(AssessmentCycle.id, DirectionResult.code)
    )


@cache
def _institutions_statement():
    """Institutions with their regulation's editions and their published
    questionnaires with the number of responses."""
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
            Questionnaire.school_year,
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
            ),
        )
        .order_by(Institution.id, Questionnaire.title)
    )


class _Cycle(NamedTuple):
    id: int
    institution_id: int
    school_year: int
    status: CycleStatus
    title: str
    scale_id: int | None
    #: direction code → (points, level name, css, wording).
    results: dict


def _draft_results(cycles: list[_Cycle]) -> dict[int, dict]:
    """cycle id → code → (points, level name, css, wording) of shared drafts, whose
    ratings may still change: aggregated now, levelled as the cycle's roll-up does
    (a level set by hand on a direction wins)."""
    scale_ids = {cycle.scale_id for cycle in cycles if cycle.scale_id is not None}
    scales = {}
    if scale_ids:
        # With their creation times: what a scale's levels are kept under.
        keys = db.session.execute(
            select(LevelScale.id, LevelScale.created_at).where(LevelScale.id.in_(scale_ids))
        ).all()
        scales = scale_views(sorted(tuple(key) for key in keys))
    scale_of = {cycle.id: scales.get(cycle.scale_id) for cycle in cycles}
    found: dict[int, dict] = {}
    for cycle_id, code, text, points, override_id in direction_scores(scale_of):
        scale = scale_of[cycle_id]
        level = None
        if scale is not None:
            level = scale.by_id(override_id) or scale.level_of_hundredths(points)
        name, css = (level.name, level.css) if level else ("", "")
        found.setdefault(cycle_id, {})[code] = (points, name, css, text)
    return found


def _cycles() -> dict[int, dict[int, list[_Cycle]]]:
    """institution id → school year → its cycles, oldest first, with their stored
    results (of final cycles)."""
    cycles: dict[int, _Cycle] = {}
    for (
        cycle_id,
        institution_id,
        year,
        status,
        title,
        scale_id,
        code,
        *result,
    ) in db.session.execute(_cycles_statement()).all():
        cycle = cycles.get(cycle_id)
        if cycle is None:
            cycle = cycles[cycle_id] = _Cycle(
                cycle_id, institution_id, year, STATUSES[status], title, scale_id, {}
            )
        if code is not None:
            cycle.results[code] = result
    found: dict[int, dict[int, list[_Cycle]]] = {}
    for cycle in cycles.values():
        found.setdefault(cycle.institution_id, {}).setdefault(cycle.school_year, []).append(cycle)
    return found


def _history(cycles_by_year: dict[int, list[_Cycle]]) -> History:
    """The years of these cycles and the stored results of each year's latest
    published cycle."""
    means, by_code = {}, {}
    for year, cycles in cycles_by_year.items():
        published = [cycle for cycle in cycles if cycle.status in PUBLISHED]
        if not published:
            continue
        scores = {
            code: result[0]
            for code, result in published[-1].results.items()
            if result[0] is not None
        }
        if scores:
            means[year] = mean_of_hundredths(list(scores.values()))
            for code, points in scores.items():
                by_code.setdefault(code, {})[year] = points
    return History(frozenset(cycles_by_year), means, by_code)


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


def _records() -> dict[int, Record]:
    """institution id → its Record, of every institution in the scope: the stored
    results of final cycles, those of the shared drafts aggregated now."""
    idle: dict[int, Row] = {}
    surveys: dict[int, dict[int, list]] = {}
    sharing = set()
    for (
        institution_id,
        slug,
        name,
        share,
        published,
        number,
        status,
        year,
        survey,
        expected,
        count,
    ) in db.session.execute(_institutions_statement()).all():
        if institution_id not in idle:
            regulation, regulation_published = _regulation(published, number, status)
            idle[institution_id] = Row(
                InstitutionRef(institution_id, slug, name), regulation, regulation_published
            )
            surveys[institution_id] = {}
            if share:
                sharing.add(institution_id)
        if survey is not None:
            rate = f"{round(100 * count / expected)} %" if expected else "—"
            surveys[institution_id].setdefault(year, []).append((survey, count, rate))
    cycles = _cycles()
    # The latest cycle of a year is the one shown: of those still drafts, the shared.
    drafts = {
        by_year[-1].id: by_year[-1]
        for institution_id, years in cycles.items()
        if institution_id in sharing
        for by_year in years.values()
        if by_year[-1].status not in FINAL
    }
    if drafts:
        aggregated = _draft_results(list(drafts.values()))
        for cycle_id, cycle in drafts.items():
            cycle.results.clear()
            cycle.results.update(aggregated.get(cycle_id, {}))
    return {
        institution_id: _record(
            base, cycles.get(institution_id, {}), surveys[institution_id], institution_id in sharing
        )
        for institution_id, base in idle.items()
    }


def _levelled(by_year: list[_Cycle], sharing: bool) -> _Cycle | None:
    """Of a year's cycles (oldest first), the one whose levels the founder sees: the
    latest visible one with results, else the latest visible one. A newer cycle only
    planned or under way does not hide the levels published before it."""
    visible = [cycle for cycle in by_year if sharing or cycle.status in PUBLISHED]
    with_results = [cycle for cycle in visible if cycle.results]
    return (with_results or visible or [None])[-1]


def _record(idle: Row, cycles: dict[int, list[_Cycle]], surveys: dict, sharing: bool) -> Record:
    """An institution's Record from its cycles (by school year) and questionnaires."""
    levelled = {year: _levelled(by_year, sharing) for year, by_year in cycles.items()}
    return Record(
        (alphabetical(idle.institution.short_name), idle.institution.id),
        _history(cycles),
        idle,
        {year: by_year[-1] for year, by_year in cycles.items()},
        {year: cycle for year, cycle in levelled.items() if cycle is not None},
        {year: tuple(found) for year, found in surveys.items()},
        sharing,
    )


def _records_of(institution_ids: list) -> dict[int, Record]:
    """The Records of ``institution_ids``: unless they are all the scope's, read in their
    own narrowed scope (of one institution, its own, whose criteria are plain
    equalities where the founder's list a hundred ids)."""
    scope = current_scope(db.session)
    if set(institution_ids) == set(scope.institution_ids):
        return _records()
    with tenant_scope(db.session, scope.narrowed(institution_ids)):
        return _records()


#: Each founder's Records, each at its institution's data version: some 1–2 MB for a
#: hundred institutions with five years of cycles and questionnaires, so some 30 MB
#: for sixteen such founders before the least recently used are dropped.
kept_records = KeptCache(16)


def founder_board(
    school_year: int | None = None, direction: str | None = None, versions: tuple | None = None
) -> Board:
    """The board in at most five statements whatever the number of institutions and
    years: the institutions with their regulations and questionnaires, their cycles
    with their results and — when institutions share drafts — the drafts' scales
    (their levels when not kept yet) and scores.

    ``versions``: (institution id, data version) of the founder's institutions
    (``g.institution_versions``). Each institution's Record is kept at its version;
    only the institutions that wrote since are read again."""
    if versions is None:
        records = _records()
    else:
        records = kept_parts(
            kept_records, current_scope(db.session).founder_id, versions, _records_of
        )
    records = sorted(records.values(), key=attrgetter("sort_key"))
    histories = [record.history for record in records]
    years = sorted(set().union(*(history.years for history in histories)), reverse=True)
    if school_year is None and years:
        school_year = years[0]
    rows = [record.row(school_year) for record in records]
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
