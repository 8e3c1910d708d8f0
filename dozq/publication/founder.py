"""The founder's dashboard: all its institutions side by side, in alphabetical order.

No ranking: the seed says results serve each institution's development. The
founder sees what institutions published and how far their work has gone; the
levels of a cycle not yet published only when the institution shares its drafts.

The results of cycles whose ratings are final are read from ``DirectionResult``
(stored when the pedagogical council discussed them), so the page reads a few
hundred rows whatever the number of ratings; only the shared drafts of the shown
year are aggregated on the fly. A fixed number of statements for any number of
institutions and years; runs in the founder's scope.
"""

from dataclasses import dataclass, field
from functools import cache
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
    literal,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import aliased

from dozq.assessment.models import AssessmentCycle, CycleStatus, DirectionResult, ItemAssessment
from dozq.assessment.queries import scale_views
from dozq.assessment.scoring import from_hundredths
from dozq.catalog.models import CatalogItem, ItemKind
from dozq.db import db
from dozq.publication.models import PublicationSettings
from dozq.quality_system.models import LevelScale
from dozq.quality_system.services import format_score
from dozq.regulation.models import EditionStatus, RegulationEdition
from dozq.surveys.models import Questionnaire, SurveyResponse
from dozq.tenancy.models import Institution

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


@dataclass
class Row:
    institution: InstitutionRef
    regulation: str = "не розпочато"
    regulation_published: bool = False
    cycle_title: str = ""
    cycle_status: CycleStatus | None = None
    levels_visible: bool = False
    #: direction code → Cell, in the order of ``Board.directions``.
    cells: dict = field(default_factory=dict)
    surveys: list = field(default_factory=list)


@dataclass
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
def _trend_statement():
    """Over the published results of each school year (the latest published cycle of
    each institution in it): (year, None, sum, count) of the cycles' means, and
    (year, code, sum, count) of each direction's scores; (year, None, None, 0) for
    every year with cycles, so that each can be chosen."""
    latest = (
        select(func.max(AssessmentCycle.id))
        .where(AssessmentCycle.status.in_(PUBLISHED))
        .group_by(AssessmentCycle.institution_id, AssessmentCycle.school_year)
    )
    results = (
        select(
            AssessmentCycle.id,
            AssessmentCycle.school_year,
            DirectionResult.code,
            DirectionResult.points,
        )
        .join(DirectionResult, DirectionResult.cycle_id == AssessmentCycle.id)
        .where(AssessmentCycle.id.in_(latest), DirectionResult.points.is_not(None))
        # Read twice below: a common table expression, computed once.
        .cte("results")
    )
    means = (
        select(results.c.school_year, _half_up_mean(results.c.points).label("points"))
        .group_by(results.c.id, results.c.school_year)
        .subquery()
    )
    no_code = null().cast(String)
    return union_all(
        select(AssessmentCycle.school_year, no_code, null().cast(Integer), literal(0)).distinct(),
        select(means.c.school_year, no_code, func.sum(means.c.points), func.count()).group_by(
            means.c.school_year
        ),
        select(
            results.c.school_year, results.c.code, func.sum(results.c.points), func.count()
        ).group_by(results.c.school_year, results.c.code),
    )


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
        .order_by(Institution.short_name, Institution.id, Questionnaire.title)
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


def _trend() -> tuple[list, dict]:
    """(school years, newest first; direction code or None → [(year, mean, count)],
    oldest first)."""
    years = set()
    trends: dict[str | None, list] = {}
    for year, code, total, count in db.session.execute(_trend_statement()):
        years.add(year)
        if count:
            # The mean of the cycles' (or the direction's) scores, rounded half up.
            mean = from_hundredths((2 * total + count) // (2 * count))
            trends.setdefault(code, []).append((year, mean, count))
    for points in trends.values():
        points.sort()
    return sorted(years, reverse=True), trends


def _rows(school_year: int | None) -> tuple[dict[int, Row], set[int]]:
    """Institutions (alphabetically) with their regulation and the questionnaires
    published for the shown year; and those that share their drafts."""
    found = db.session.execute(
        _institutions_statement(school_year is not None),
        {} if school_year is None else {"school_year": school_year},
    ).all()
    rows: dict[int, Row] = {}
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
    ) in found:
        row = rows.get(institution_id)
        if row is None:
            row = rows[institution_id] = Row(InstitutionRef(institution_id, slug, name))
            if share:
                sharing.add(institution_id)
            if status is not None and not isinstance(status, EditionStatus):
                status = EditionStatus[status]
            if published is not None:
                row.regulation_published = True
                row.regulation = f"оприлюднено (редакція {published})"
                if number is not None and number != published:
                    row.regulation += f"; редакція {number}: {status.label}"
            elif number is not None:
                row.regulation = f"редакція {number}: {status.label}"
        if survey is not None:
            rate = f"{round(100 * count / expected)} %" if expected else "—"
            row.surveys.append((survey, count, rate))
    return rows, sharing


def founder_board(school_year: int | None = None, direction: str | None = None) -> Board:
    """The board in at most five statements whatever the number of institutions and
    years: years with the trend, institutions, the shown year's cycles with their
    results and — when institutions share drafts — the drafts' scores and levels."""
    years, trends = _trend()
    if school_year is None and years:
        school_year = years[0]
    rows, sharing = _rows(school_year)
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
    ) in db.session.execute(_shown_cycles_statement(), {"school_year": school_year}):
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
    titles: dict[str, str] = {}
    visible = []
    for cycle_id, institution_id, status, title, _scale, _key in shown.values():
        row = rows.get(institution_id)
        if row is None:
            continue
        row.cycle_title, row.cycle_status = title, status
        row.levels_visible = status in PUBLISHED or institution_id in sharing
        if row.levels_visible:
            visible.append((row, results[cycle_id]))
            for code, (_points, _name, _css, wording) in results[cycle_id].items():
                titles.setdefault(code, wording or code)
    codes = sorted(titles)
    for row in rows.values():
        absent = NOT_PUBLISHED if row.cycle_status else NO_DATA
        row.cells = dict.fromkeys(codes, absent)
    for row, found in visible:
        row.cells = {code: _cell(*found[code][:3]) if code in found else NO_DATA for code in codes}
    directions = [(code, titles[code]) for code in codes]
    trend_directions = [(code, titles.get(code, "")) for code in sorted(filter(None, trends))]
    return Board(
        list(rows.values()),
        years,
        school_year,
        directions,
        trend_directions,
        direction,
        trends.get(direction, []),
    )
