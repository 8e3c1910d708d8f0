"""The founder's dashboard: all its institutions side by side, in alphabetical order.

No ranking: the seed says results serve each institution's development. The
founder sees what institutions published and how far their work has gone; the
levels of a cycle not yet published only when the institution shares its drafts.
Everything is aggregated in SQL (a fixed number of statements for any number of
institutions and years); runs in the founder's scope.
"""

from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import NamedTuple

from sqlalchemy import (
    Numeric,
    String,
    and_,
    bindparam,
    case,
    cast,
    false,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import aliased

from dozq.assessment.models import AssessmentCycle, CycleStatus, ItemAssessment
from dozq.catalog.models import CatalogItem, ItemKind
from dozq.db import db
from dozq.publication.models import PublicationSettings
from dozq.quality_system.models import LevelColour, ScaleLevel
from dozq.regulation.models import EditionStatus, RegulationEdition
from dozq.surveys.models import Questionnaire, SurveyResponse
from dozq.tenancy.models import Institution

PUBLISHED = (CycleStatus.PUBLISHED, CycleStatus.CLOSED)
#: From «обговорено» on a cycle's ratings are final (its status never goes back), so
#: its directions' scores are computed once per process and kept here.
FINAL = (CycleStatus.DISCUSSED, CycleStatus.PUBLISHED, CycleStatus.CLOSED)
FINAL_CACHE_SIZE = 50_000
CHUNK = 500
_final_scores: OrderedDict = OrderedDict()
HUNDREDTH = Decimal("0.01")
#: Stored names of the enums (columns read untyped, for speed).
STATUSES = CycleStatus.__members__
COLOURS = LevelColour.__members__


def forget_final_scores() -> None:
    """Empty the per-process memo of final cycles' scores (benchmarks, tests)."""
    _final_scores.clear()


def _round(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(HUNDREDTH, ROUND_HALF_UP)


def _mean(values) -> Decimal | None:
    """The rounded mean of the scores that are there (None when none is)."""
    values = [value for value in values if value is not None]
    return _round(sum(values) / len(values)) if values else None


@dataclass
class Cell:
    """One direction of one institution's cycle: score and level (text always shown)."""

    score: Decimal | None = None
    level_name: str = ""
    css: str = "level-none"

    @property
    def text(self) -> str:
        if self.score is None:
            return "немає даних"
        score = f"{self.score:.2f}".replace(".", ",")
        return f"{score} — {self.level_name}" if self.level_name else score


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
    cells: dict = field(default_factory=dict)
    surveys: list = field(default_factory=list)
    #: school year → mean of the directions' scores (visible cycles only).
    trend: dict = field(default_factory=dict)


class _Cycle(NamedTuple):
    id: int
    institution_id: int
    school_year: int
    status: CycleStatus
    title: str
    scale_id: int | None
    catalog_id: int
    created_at: object


@dataclass
class Board:
    rows: list
    years: list
    school_year: int | None
    directions: list
    direction: str | None
    #: school year → mean over institutions (for the chart).
    trend: list


def direction_scores(cycle_ids=None, visible=None):
    """(cycle id, direction code, direction title, score) — the mean of means up the
    tree (indicators → criteria → requirements → directions), in one statement."""
    indicator = aliased(CatalogItem)
    criterion = aliased(CatalogItem)
    requirement = aliased(CatalogItem)
    direction = aliased(CatalogItem)
    # The column holds hundredths (Hundredths); a cast reads the raw integer.
    score = cast(ItemAssessment.score, Numeric(8, 2)) / 100
    by_criterion = (
        select(
            ItemAssessment.cycle_id.label("cycle_id"),
            indicator.parent_id.label("criterion_id"),
            func.round(func.avg(score), 2).label("score"),
        )
        .join(indicator, indicator.id == ItemAssessment.item_id)
        .where(ItemAssessment.score.is_not(None), indicator.kind == ItemKind.INDICATOR)
        .group_by(ItemAssessment.cycle_id, indicator.parent_id)
    )
    if cycle_ids is not None:
        by_criterion = by_criterion.where(ItemAssessment.cycle_id.in_(list(cycle_ids)))
    if visible is not None:
        by_criterion = by_criterion.join(
            AssessmentCycle, AssessmentCycle.id == ItemAssessment.cycle_id
        ).where(visible)
    by_criterion = by_criterion.subquery()
    by_requirement = (
        select(
            by_criterion.c.cycle_id,
            criterion.parent_id.label("requirement_id"),
            func.round(func.avg(by_criterion.c.score), 2).label("score"),
        )
        .join(criterion, criterion.id == by_criterion.c.criterion_id)
        .group_by(by_criterion.c.cycle_id, criterion.parent_id)
        .subquery()
    )
    by_direction = (
        select(
            by_requirement.c.cycle_id,
            direction.code,
            direction.text,
            func.round(func.avg(by_requirement.c.score), 2).label("score"),
        )
        .join(requirement, requirement.id == by_requirement.c.requirement_id)
        .join(direction, direction.id == requirement.parent_id)
        .group_by(by_requirement.c.cycle_id, direction.code, direction.text)
    )
    return db.session.execute(by_direction).all()


def scores_of(cycles, visible_in_sql=None) -> tuple[dict, dict]:
    """cycle id → (direction code → score, the mean of those scores) for ``cycles``
    (rows with id, status, created_at); and cycle id → code → wording for the
    cycles computed here, not for those from the per-process memo of final cycles.
    The missing ones are computed in one aggregate statement: by their ids, or —
    when many are missing, as on a cold start — by ``visible_in_sql``, the
    condition that selected them."""
    by_cycle: dict[int, dict] = {}
    titles: dict[int, dict] = defaultdict(dict)
    missing = []
    database = db.engine.url.render_as_string()
    for cycle in cycles:
        cached = (
            _final_scores.get((database, cycle.id, cycle.created_at))
            if cycle.status in FINAL
            else None
        )
        if cached is None:
            missing.append(cycle)
        else:
            by_cycle[cycle.id] = cached
    if missing:
        fresh: dict[int, dict] = defaultdict(dict)
        if len(missing) > CHUNK and visible_in_sql is not None:
            found = direction_scores(visible=visible_in_sql)
        else:
            found = direction_scores([cycle.id for cycle in missing])
        for cycle_id, code, text, score in found:
            fresh[cycle_id][code] = _round(score)
            titles[cycle_id][code] = text
        for cycle in missing:
            scores = fresh.get(cycle.id, {})
            by_cycle[cycle.id] = scores = (scores, _mean(scores.values()))
            if cycle.status in FINAL:
                _final_scores[(database, cycle.id, cycle.created_at)] = scores
                while len(_final_scores) > FINAL_CACHE_SIZE:
                    _final_scores.popitem(last=False)
    return by_cycle, titles


def _titles(visible, by_cycle: dict, fresh: dict) -> dict[str, str]:
    """code → the wording of the direction in the first visible cycle scored on it.
    Cycles computed just now bring it; for those from the memo it is read afresh
    (an institution may reword its catalog), in one statement."""
    titles: dict[str, str] = {}
    wanted: dict[str, int] = {}
    for cycle in visible:
        for code in by_cycle[cycle.id][0]:
            if code in titles or code in wanted:
                continue
            text = fresh.get(cycle.id, {}).get(code)
            if text is None:
                wanted[code] = cycle.catalog_id
            else:
                titles[code] = text
    if wanted:
        for catalog_id, code, text in db.session.execute(
            select(CatalogItem.catalog_id, CatalogItem.code, CatalogItem.text).where(
                CatalogItem.kind == ItemKind.DIRECTION,
                CatalogItem.catalog_id.in_(set(wanted.values())),
                CatalogItem.code.in_(list(wanted)),
            )
        ):
            if wanted.get(code) == catalog_id:
                titles[code] = text
    return titles


def _level(levels: list, score: Decimal | None):
    if score is None:
        return None
    for level in levels:
        if score >= level[2]:
            return level
    return levels[-1] if levels else None


@cache
def _cycles_statement(latest: bool):
    """Every cycle, with the levels of the scales of the shown school year's cycles
    (``:school_year``, or the latest when ``latest``). Built once per shape: building
    a statement costs more than running it."""
    shown_year = (
        select(func.max(AssessmentCycle.school_year)).scalar_subquery()
        if latest
        else bindparam("school_year")
    )
    return (
        select(
            AssessmentCycle.id,
            AssessmentCycle.institution_id,
            AssessmentCycle.school_year,
            # Enums and the memo key read as stored (names, text): hundreds of rows
            # need no type processing per value.
            type_coerce(AssessmentCycle.status, String),
            AssessmentCycle.title,
            AssessmentCycle.scale_id,
            AssessmentCycle.catalog_id,
            type_coerce(AssessmentCycle.created_at, String),
            ScaleLevel.name,
            type_coerce(ScaleLevel.colour, String),
            ScaleLevel.min_score,
        )
        .outerjoin(
            # Levels only for the shown year's cycles (no index lookup for the rest).
            ScaleLevel,
            ScaleLevel.scale_id
            == case((AssessmentCycle.school_year == shown_year, AssessmentCycle.scale_id)),
        )
        .order_by(AssessmentCycle.school_year, AssessmentCycle.id, ScaleLevel.rank)
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


def founder_board(school_year: int | None = None, direction: str | None = None) -> Board:
    """The board in at most four statements whatever the number of institutions and
    years: cycles (with the levels of the shown year's scales), institutions (with
    their regulation and the shown year's questionnaires), direction scores of the
    visible cycles not yet known, and the directions' wording."""
    cycle_rows = db.session.execute(
        _cycles_statement(school_year is None),
        {} if school_year is None else {"school_year": school_year},
    ).all()
    cycles: list[_Cycle] = []
    #: scale id → its levels by rank (name, colour class, lowest score), for the shown year.
    levels: dict[int, list] = {}
    first_of_scale: dict[int, int] = {}
    last_id = None
    for row in cycle_rows:
        cycle_id, scale_id = row[0], row[5]
        if cycle_id != last_id:
            cycles.append(_Cycle(cycle_id, row[1], row[2], STATUSES[row[3]], *row[4:8]))
            last_id = cycle_id
        if row[8] is not None and first_of_scale.setdefault(scale_id, cycle_id) == cycle_id:
            levels.setdefault(scale_id, []).append((row[8], COLOURS[row[9]].value, row[10]))
    years = sorted({cycle.school_year for cycle in cycles}, reverse=True)
    if school_year is None and years:
        school_year = years[0]

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

    visible = [
        cycle for cycle in cycles if cycle.status in PUBLISHED or cycle.institution_id in sharing
    ]
    by_cycle, titles = scores_of(
        visible,
        or_(
            AssessmentCycle.status.in_(PUBLISHED),
            AssessmentCycle.institution_id.in_(sorted(sharing)),
        ),
    )
    titles = _titles(visible, by_cycle, titles)
    direction_codes = sorted(titles)
    visible_ids = {cycle.id for cycle in visible}
    nothing: tuple = ({}, None)
    for cycle in cycles:
        row = rows.get(cycle.institution_id)
        if row is None:
            continue
        scores, mean = by_cycle.get(cycle.id, nothing)
        if cycle.school_year == school_year:
            row.cycle_title, row.cycle_status = cycle.title, cycle.status
            row.levels_visible = cycle.id in visible_ids
            scale_levels = levels.get(cycle.scale_id, [])
            row.cells = {}
            for code in direction_codes:
                value = scores.get(code)
                level = _level(scale_levels, value)
                row.cells[code] = Cell(
                    value,
                    level[0] if level else "",
                    level[1] if level else "level-none",
                )
        if direction is not None:
            mean = scores.get(direction)
            mean = None if mean is None else _round(mean)
        if mean is not None:
            row.trend[cycle.school_year] = mean
    trend = []
    for year in sorted(years):
        values = [row.trend[year] for row in rows.values() if year in row.trend]
        if values:
            trend.append((year, _round(sum(values) / len(values)), len(values)))
    shown = [code for code in direction_codes if direction is None or code == direction]
    return Board(
        list(rows.values()),
        years,
        school_year,
        [(code, titles[code]) for code in shown],
        direction,
        trend,
    )
