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

from sqlalchemy import Numeric, cast, func, select
from sqlalchemy.orm import aliased

from dozq.assessment.models import AssessmentCycle, CycleStatus, ItemAssessment
from dozq.catalog.models import CatalogItem, ItemKind
from dozq.db import db
from dozq.publication.models import PublicationSettings
from dozq.quality_system.models import LevelScale, ScaleLevel
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
_scale_levels: dict = {}
HUNDREDTH = Decimal("0.01")


def _round(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(HUNDREDTH, ROUND_HALF_UP)


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


@dataclass
class Board:
    rows: list
    years: list
    school_year: int | None
    directions: list
    direction: str | None
    #: school year → mean over institutions (for the chart).
    trend: list


def direction_scores(cycle_ids=None):
    """(cycle id, direction code, direction title, score) — the mean of means up the
    tree (indicators → criteria → requirements → directions), in one statement."""
    indicator = aliased(CatalogItem)
    criterion = aliased(CatalogItem)
    requirement = aliased(CatalogItem)
    direction = aliased(CatalogItem)
    score = cast(ItemAssessment.score, Numeric(6, 2))
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


def scores_of(cycles) -> tuple[dict, dict]:
    """cycle id → direction code → score, and code → title, for ``cycles`` (rows with
    id, status, created_at). Final cycles come from the per-process cache when there;
    the others in one aggregate statement."""
    by_cycle: dict[int, dict] = {}
    titles: dict[str, str] = {}
    missing = []
    database = db.engine.url.render_as_string()
    for cycle in cycles:
        key = (database, cycle.id, cycle.created_at)
        cached = _final_scores.get(key) if cycle.status in FINAL else None
        if cached is None:
            missing.append(cycle)
            continue
        by_cycle[cycle.id] = cached[0]
        for code, text in cached[1].items():
            titles.setdefault(code, text)
    if missing:
        fresh = defaultdict(dict)
        fresh_titles = defaultdict(dict)
        ids = [c.id for c in missing]
        for start in range(0, len(ids), CHUNK):
            for cycle_id, code, text, score in direction_scores(ids[start : start + CHUNK]):
                fresh[cycle_id][code] = _round(score)
                fresh_titles[cycle_id][code] = text
                titles.setdefault(code, text)
        for cycle in missing:
            by_cycle[cycle.id] = fresh.get(cycle.id, {})
            if cycle.status in FINAL:
                key = (database, cycle.id, cycle.created_at)
                _final_scores[key] = (by_cycle[cycle.id], fresh_titles[cycle.id])
                while len(_final_scores) > FINAL_CACHE_SIZE:
                    _final_scores.popitem(last=False)
    return by_cycle, titles


def _levels(scales) -> dict[int, list]:
    """scale id → its levels by rank. A scale version never changes once a cycle uses
    it (``ImmutableScaleError``), so levels are kept per process too."""
    key = db.engine.url.render_as_string()
    levels = {}
    missing = []
    for scale_id, created_at in scales:
        cached = _scale_levels.get((key, scale_id, created_at))
        if cached is None:
            missing.append((scale_id, created_at))
        else:
            levels[scale_id] = cached
    if missing:
        fresh = defaultdict(list)
        for level in db.session.execute(
            select(ScaleLevel.scale_id, ScaleLevel.name, ScaleLevel.colour, ScaleLevel.min_score)
            .where(ScaleLevel.scale_id.in_([scale_id for scale_id, _at in missing]))
            .order_by(ScaleLevel.rank)
        ):
            fresh[level.scale_id].append(level)
        for scale_id, created_at in missing:
            levels[scale_id] = fresh.get(scale_id, [])
            _scale_levels[(key, scale_id, created_at)] = levels[scale_id]
    return levels


def _level(levels: list, score: Decimal | None):
    if score is None:
        return None
    for level in levels:
        if score >= level.min_score:
            return level
    return levels[-1] if levels else None


def founder_board(school_year: int | None = None, direction: str | None = None) -> Board:
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
    found = db.session.execute(
        select(
            Institution.id,
            Institution.slug,
            Institution.short_name,
            PublicationSettings.share_drafts_with_founder,
            published_number,
            newest.with_only_columns(RegulationEdition.number).scalar_subquery(),
            newest.with_only_columns(RegulationEdition.status).scalar_subquery(),
        )
        .outerjoin(PublicationSettings, PublicationSettings.institution_id == Institution.id)
        .order_by(Institution.short_name, Institution.id)
    ).all()
    rows = {}
    sharing = set()
    for institution_id, slug, name, share, published, number, status in found:
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
    cycles = db.session.execute(
        select(
            AssessmentCycle.id,
            AssessmentCycle.institution_id,
            AssessmentCycle.school_year,
            AssessmentCycle.status,
            AssessmentCycle.title,
            AssessmentCycle.scale_id,
            AssessmentCycle.created_at,
            LevelScale.created_at.label("scale_created_at"),
        )
        .outerjoin(LevelScale, LevelScale.id == AssessmentCycle.scale_id)
        .order_by(AssessmentCycle.school_year, AssessmentCycle.id)
    ).all()
    years = sorted({cycle.school_year for cycle in cycles}, reverse=True)
    if school_year is None and years:
        school_year = years[0]
    visible = {
        cycle.id: cycle
        for cycle in cycles
        if cycle.status in PUBLISHED or cycle.institution_id in sharing
    }
    by_cycle, titles = scores_of(visible.values())
    levels = _levels({(c.scale_id, c.scale_created_at) for c in visible.values() if c.scale_id})
    direction_codes = sorted(titles)
    for cycle in cycles:
        row = rows.get(cycle.institution_id)
        if row is None:
            continue
        if cycle.school_year == school_year:
            row.cycle_title, row.cycle_status = cycle.title, cycle.status
            row.levels_visible = cycle.id in visible
            row.cells = {}
            for code in direction_codes:
                value = by_cycle.get(cycle.id, {}).get(code)
                level = _level(levels.get(cycle.scale_id, []), value)
                row.cells[code] = Cell(
                    value,
                    level.name if level else "",
                    level.colour.value if level else "level-none",
                )
        values = [
            value
            for code, value in by_cycle.get(cycle.id, {}).items()
            if value is not None and (direction is None or code == direction)
        ]
        if values:
            row.trend[cycle.school_year] = _round(sum(values) / len(values))
    if school_year is not None:
        responses = (
            select(func.count(SurveyResponse.id))
            .where(SurveyResponse.questionnaire_id == Questionnaire.id)
            .correlate(Questionnaire)
            .scalar_subquery()
        )
        for institution_id, title, expected, count in db.session.execute(
            select(
                Questionnaire.institution_id,
                Questionnaire.title,
                Questionnaire.expected_respondents,
                responses,
            )
            .where(
                Questionnaire.published_at.is_not(None),
                Questionnaire.school_year == school_year,
            )
            .order_by(Questionnaire.institution_id, Questionnaire.title)
        ):
            row = rows.get(institution_id)
            if row is not None:
                rate = f"{round(100 * count / expected)} %" if expected else "—"
                row.surveys.append((title, count, rate))
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
