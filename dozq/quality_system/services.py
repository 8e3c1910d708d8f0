"""Steps managers take on the quality system, and what the overview reads.

Every step flushes and writes one audit row; nothing here commits. Items a
form names by id are loaded by the views with ``db.get_or_404`` (scoped), so a
foreign id never reaches these functions.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, selectinload
from sqlalchemy.orm.exc import StaleDataError

from dozq.audit.services import record
from dozq.db import apply_changes, db, utcnow
from dozq.quality_system.models import (
    DEFAULT_LEVELS,
    DEFAULT_MAX_SCORE,
    DEFAULT_MIN_SCORE,
    DEFAULT_ORIENTATIONS,
    DEFAULT_POLICY_GOAL,
    DEFAULT_SCALE_TITLE,
    DIRECTIONS,
    AnnualPlan,
    AnnualPlanSection,
    Audience,
    DevelopmentProgramme,
    InstitutionFeatures,
    LevelColour,
    LevelScale,
    ModelKind,
    QualityComponent,
    QualityMeasure,
    QualityOrientation,
    QualityPolicy,
    ResponsibleRole,
    ScaleLevel,
    SelfAssessmentModel,
    SelfAssessmentPlanEntry,
    SettlementType,
    StatutoryComponent,
    school_year_label,
    to_score,
)
from dozq.tenancy.models import Institution
from dozq.tenancy.services import check_version
from dozq.web.errors import ConflictError, DomainError
from dozq.web.filters import KYIV

CONFLICT_MESSAGE = (
    "Поки ви редагували, цей запис змінив інший користувач. "
    "Оновіть сторінку, щоб побачити нову версію, і внесіть свої зміни знову."
)

MAX_LEVELS = 6
MIN_LEVELS = 2
DEFAULT_PLAN_YEARS = 5
DEFAULT_COMPREHENSIVE_EVERY = 5


def current_school_year(today: date | None = None) -> int:
    """The school year now (its first calendar year): it starts on 1 September and the
    annual plan covers the summer period too."""
    today = today or datetime.now(KYIV).date()
    return today.year if today.month >= 9 else today.year - 1


def current_year(today: date | None = None) -> int:
    return (today or datetime.now(KYIV).date()).year


def format_score(value: Decimal | None) -> str:
    """3,60 — two places, decimal comma."""
    if value is None:
        return "—"
    return f"{to_score(value):.2f}".replace(".", ",")


def _text(data: dict, name: str) -> str:
    return (data.get(name) or "").replace("\r\n", "\n").strip()


def _flush() -> None:
    """Flush; a row someone else changed since it was loaded is a conflict, not an error."""
    try:
        db.session.flush()
    except StaleDataError as error:
        raise ConflictError(CONFLICT_MESSAGE) from error


def _words(items: list[str]) -> str:
    """«опису, політик і процедур»."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " і " + items[-1]


def _next_position(model, *criteria) -> int:
    current = db.session.scalar(select(func.max(model.position)).where(*criteria))
    return (current or 0) + 1


def _move(model, item, siblings: list, direction: str) -> bool:
    """Swap ``item`` with its neighbour and renumber the list 1..n.

    Positions change by UPDATE statements, not through the unit of work, so a
    reorder does not bump the items' versions: someone editing an item's text
    while another person reorders the list saves without a false conflict.
    """
    if direction not in ("up", "down"):
        raise DomainError("Невідомий напрям переміщення.")
    order = [sibling.id for sibling in siblings]
    index = order.index(item.id)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(order):
        return False
    order[index], order[other] = order[other], order[index]
    positions = {sibling.id: sibling.position for sibling in siblings}
    for position, item_id in enumerate(order, start=1):
        if positions[item_id] != position:
            db.session.execute(
                update(model).where(model.id == item_id).values(position=position),
                execution_options={"synchronize_session": "fetch"},
            )
    return True


MOVE_WORDS = {"up": "вище", "down": "нижче"}


# Setting up: the statutory defaults every institution starts with.


def set_up_quality_system(institution, actor=None) -> list[str]:
    """Give ``institution`` the defaults it lacks (all of them when it is new): the seven
    statutory components, the policy with the seed's goal and orientations, the features
    form, the four-level scale and the default self-assessment model with its plan.

    Works in the institution's own scope and in its founder's (on creation). Returns
    what was added; writes one audit row when anything was.
    """
    iid = institution.id

    def missing(model) -> bool:
        return (
            db.session.scalar(select(model.id).where(model.institution_id == iid).limit(1)) is None
        )

    added = []
    present = set(
        db.session.scalars(
            select(QualityComponent.statutory_key).where(
                QualityComponent.institution_id == iid,
                QualityComponent.statutory_key.is_not(None),
            )
        )
    )
    absent = [key for key in StatutoryComponent if key not in present]
    for position, key in enumerate(StatutoryComponent, start=1):
        if key in absent:
            db.session.add(
                QualityComponent(
                    institution_id=iid, position=position, statutory_key=key, title=key.title
                )
            )
    if absent:
        added.append("компоненти")
    if missing(QualityPolicy):
        db.session.add(QualityPolicy(institution_id=iid, goal=DEFAULT_POLICY_GOAL))
        for position, text in enumerate(DEFAULT_ORIENTATIONS, start=1):
            db.session.add(
                QualityOrientation(
                    institution_id=iid, position=position, text=text, is_default=True
                )
            )
        added.append("політика")
    if missing(InstitutionFeatures):
        db.session.add(InstitutionFeatures(institution_id=iid, education_language="українська"))
        added.append("особливості закладу")
    if missing(LevelScale):
        _add_scale(
            iid,
            actor,
            1,
            DEFAULT_SCALE_TITLE,
            DEFAULT_MIN_SCORE,
            DEFAULT_MAX_SCORE,
            [LevelDraft(*level) for level in DEFAULT_LEVELS],
        )
        added.append("шкала рівнів")
    if missing(SelfAssessmentModel):
        model = SelfAssessmentModel(
            institution_id=iid,
            kind=ModelKind.ANNUAL_COMPREHENSIVE,
            comprehensive_every=DEFAULT_COMPREHENSIVE_EVERY,
            plan_start_year=current_school_year(),
            plan_years=DEFAULT_PLAN_YEARS,
        )
        db.session.add(model)
        for year, direction in sorted(_model_default_plan(model)):
            db.session.add(
                SelfAssessmentPlanEntry(institution_id=iid, school_year=year, direction=direction)
            )
        added.append("модель самооцінювання")
    if added:
        db.session.flush()
        entry = record(
            actor,
            "quality_system.set_up",
            institution,
            "Внутрішню систему забезпечення якості освіти налаштовано за типовими значеннями: "
            + ", ".join(added),
            added=added,
        )
        entry.founder_id = institution.founder_id
        entry.institution_id = iid
        db.session.flush()
    return added


# Components and their procedures.


def components() -> list[QualityComponent]:
    return db.session.scalars(
        select(QualityComponent).order_by(QualityComponent.position, QualityComponent.id)
    ).all()


def components_with_counts() -> list[tuple[QualityComponent, int]]:
    """Components in order, each with the number of measures in its procedure."""
    measure_counts = (
        select(QualityMeasure.component_id, func.count(QualityMeasure.id).label("n"))
        .group_by(QualityMeasure.component_id)
        .subquery()
    )
    rows = db.session.execute(
        select(QualityComponent, func.coalesce(measure_counts.c.n, 0))
        .outerjoin(measure_counts, measure_counts.c.component_id == QualityComponent.id)
        .order_by(QualityComponent.position, QualityComponent.id)
    ).all()
    return [(component, count) for component, count in rows]


def create_component(actor, data: dict) -> QualityComponent:
    """An own component, after the others."""
    component = QualityComponent(
        position=_next_position(QualityComponent),
        statutory_key=None,
        title=_text(data, "title"),
        description=_text(data, "description"),
        policies=_text(data, "policies"),
    )
    if not component.title:
        raise DomainError("Вкажіть назву компонента.")
    db.session.add(component)
    _flush()
    record(
        actor,
        "quality_system.component_created",
        component,
        f"Додано власний компонент «{component.title}»",
    )
    return component


def update_component(actor, component: QualityComponent, data: dict, version) -> list[str]:
    """Describe a component; the title of a statutory one is the law's and stays."""
    check_version(component, version)
    values = {"description": _text(data, "description"), "policies": _text(data, "policies")}
    if not component.is_statutory:
        values["title"] = _text(data, "title")
        if not values["title"]:
            raise DomainError("Вкажіть назву компонента.")
    changed = apply_changes(component, values)
    if changed:
        _flush()
        labels = {"title": "назву", "description": "опис", "policies": "політики"}
        record(
            actor,
            "quality_system.component_updated",
            component,
            f"Компонент «{component.title}»: змінено {_words([labels[n] for n in changed])}",
            fields=changed,
        )
    return changed


def delete_component(actor, component: QualityComponent, version) -> None:
    """Remove an own component with its procedure; statutory ones stay."""
    if component.is_statutory:
        raise DomainError(
            "Компонент, визначений частиною третьою статті 41 Закону України «Про освіту», "
            "не можна вилучити; його можна лише описати."
        )
    check_version(component, version)
    record(
        actor,
        "quality_system.component_deleted",
        component,
        f"Вилучено власний компонент «{component.title}»",
    )
    db.session.delete(component)
    _flush()


def measures_of(component: QualityComponent) -> list[QualityMeasure]:
    return db.session.scalars(
        select(QualityMeasure)
        .where(QualityMeasure.component_id == component.id)
        .order_by(QualityMeasure.position, QualityMeasure.id)
    ).all()


def _measure_values(data: dict) -> dict:
    role = data.get("responsible_role") or None
    values = {
        "action": _text(data, "action"),
        "responsible_role": ResponsibleRole(role) if role else None,
        "responsible_person": _text(data, "responsible_person"),
        "timing": _text(data, "timing"),
        "document": _text(data, "document"),
    }
    if not values["action"]:
        raise DomainError("Опишіть, що робиться.")
    if values["responsible_role"] is None and not values["responsible_person"]:
        raise DomainError("Вкажіть, хто виконує захід: роль або особу.")
    return values


def _short(text: str, length: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def add_measure(actor, component: QualityComponent, data: dict) -> QualityMeasure:
    """A new measure at the end of the component's procedure."""
    measure = QualityMeasure(
        component_id=component.id,
        position=_next_position(QualityMeasure, QualityMeasure.component_id == component.id),
        **_measure_values(data),
    )
    db.session.add(measure)
    _flush()
    record(
        actor,
        "quality_system.measure_created",
        measure,
        f"Компонент «{component.title}»: додано захід «{_short(measure.action)}»",
        component_id=component.id,
    )
    return measure


def update_measure(actor, measure: QualityMeasure, data: dict, version) -> list[str]:
    check_version(measure, version)
    changed = apply_changes(measure, _measure_values(data))
    if changed:
        _flush()
        record(
            actor,
            "quality_system.measure_updated",
            measure,
            f"Компонент «{measure.component.title}»: змінено захід «{_short(measure.action)}»",
            component_id=measure.component_id,
            fields=changed,
        )
    return changed


def delete_measure(actor, measure: QualityMeasure, version) -> None:
    check_version(measure, version)
    record(
        actor,
        "quality_system.measure_deleted",
        measure,
        f"Компонент «{measure.component.title}»: вилучено захід «{_short(measure.action)}»",
        component_id=measure.component_id,
    )
    db.session.delete(measure)
    _flush()


def move_measure(actor, measure: QualityMeasure, direction: str) -> bool:
    """One place up or down in the procedure; False when it is already at that end."""
    moved = _move(QualityMeasure, measure, measures_of(measure.component), direction)
    if moved:
        record(
            actor,
            "quality_system.measure_moved",
            measure,
            f"Компонент «{measure.component.title}»: захід «{_short(measure.action)}» "
            f"переміщено {MOVE_WORDS[direction]}",
            component_id=measure.component_id,
            direction=direction,
        )
        _flush()
    return moved


# The quality policy.


def policy() -> QualityPolicy | None:
    return db.session.scalar(select(QualityPolicy))


def orientations() -> list[QualityOrientation]:
    return db.session.scalars(
        select(QualityOrientation).order_by(QualityOrientation.position, QualityOrientation.id)
    ).all()


def update_policy(actor, quality_policy: QualityPolicy, data: dict, version) -> list[str]:
    check_version(quality_policy, version)
    goal = _text(data, "goal")
    if not goal:
        raise DomainError("Сформулюйте основну мету політики.")
    changed = apply_changes(quality_policy, {"goal": goal})
    if changed:
        _flush()
        record(
            actor,
            "quality_system.policy_updated",
            quality_policy,
            "Змінено основну мету стратегії (політики) забезпечення якості освіти",
        )
    return changed


def add_orientation(actor, data: dict) -> QualityOrientation:
    text = _text(data, "text")
    if not text:
        raise DomainError("Сформулюйте орієнтир.")
    orientation = QualityOrientation(
        position=_next_position(QualityOrientation), text=text, is_default=False
    )
    db.session.add(orientation)
    _flush()
    record(
        actor,
        "quality_system.orientation_created",
        orientation,
        f"Політику доповнено орієнтиром «{_short(text)}»",
    )
    return orientation


def update_orientation(actor, orientation: QualityOrientation, data: dict, version) -> list[str]:
    check_version(orientation, version)
    text = _text(data, "text")
    if not text:
        raise DomainError("Сформулюйте орієнтир.")
    changed = apply_changes(orientation, {"text": text})
    if changed:
        _flush()
        record(
            actor,
            "quality_system.orientation_updated",
            orientation,
            f"Змінено орієнтир політики: «{_short(text)}»",
        )
    return changed


def delete_orientation(actor, orientation: QualityOrientation, version) -> None:
    if orientation.is_default:
        raise DomainError(
            "Цей орієнтир визначено методичними рекомендаціями: його можна переформулювати, "
            "але не вилучити."
        )
    check_version(orientation, version)
    record(
        actor,
        "quality_system.orientation_deleted",
        orientation,
        f"Вилучено орієнтир політики «{_short(orientation.text)}»",
    )
    db.session.delete(orientation)
    _flush()


def move_orientation(actor, orientation: QualityOrientation, direction: str) -> bool:
    moved = _move(QualityOrientation, orientation, orientations(), direction)
    if moved:
        record(
            actor,
            "quality_system.orientation_moved",
            orientation,
            f"Орієнтир «{_short(orientation.text)}» переміщено {MOVE_WORDS[direction]}",
            direction=direction,
        )
        _flush()
    return moved


# Features of the institution.

FEATURE_LABELS = {
    "settlement_type": "тип населеного пункту",
    "location": "розташування",
    "staff_features": "особливості педагогічного колективу",
    "group_count": "кількість груп",
    "child_count": "кількість дітей",
    "teacher_count": "кількість педагогічних працівників",
    "other_staff_count": "кількість інших працівників",
    "education_language": "мову освітнього процесу",
    "operating_mode": "режим роботи",
}
COUNT_FIELDS = ("group_count", "child_count", "teacher_count", "other_staff_count")


def features() -> InstitutionFeatures | None:
    return db.session.scalar(select(InstitutionFeatures))


def expected_respondents(audience: Audience | str) -> int | None:
    """How many answers a questionnaire for ``audience`` («parents», «teachers», «staff»,
    «all_staff», «groups») can expect, from the institution's features; None while the
    count is not filled in."""
    institution_features = features()
    if institution_features is None:
        return None
    return institution_features.expected_respondents(Audience(audience))


def update_features(actor, institution_features: InstitutionFeatures, data: dict, version):
    """Save the features; counts are whole numbers ≥ 0 or empty."""
    check_version(institution_features, version)
    settlement = data.get("settlement_type") or None
    values = {
        "settlement_type": SettlementType(settlement) if settlement else None,
        "location": _text(data, "location"),
        "staff_features": _text(data, "staff_features"),
        "education_language": _text(data, "education_language"),
        "operating_mode": _text(data, "operating_mode"),
    }
    for name in COUNT_FIELDS:
        value = data.get(name)
        if value is not None and (not isinstance(value, int) or value < 0):
            raise DomainError(f"Вкажіть {FEATURE_LABELS[name]} цілим числом, не меншим за 0.")
        values[name] = value
    changed = apply_changes(institution_features, values)
    if changed:
        _flush()
        record(
            actor,
            "quality_system.features_updated",
            institution_features,
            "Змінено особливості закладу: " + ", ".join(FEATURE_LABELS[n] for n in changed),
            fields=changed,
        )
    return changed


# The level scale.


@dataclass
class LevelDraft:
    """A level as a form gives it, before it is saved into a scale version."""

    name: str
    description: str
    colour: LevelColour | str
    min_score: Decimal | None


def parse_score(raw) -> Decimal:
    """«3,5» or «3.5» → Decimal('3.50'); ValueError with a Ukrainian message otherwise."""
    text = str(raw).strip().replace(" ", "").replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation as error:
        raise ValueError("Введіть число, наприклад 3,5.") from error
    if not value.is_finite():
        raise ValueError("Введіть число, наприклад 3,5.")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError("Вкажіть не більше двох знаків після коми.")
    return to_score(value)


def scale_errors(min_score, max_score, levels: list[LevelDraft]) -> dict[str, str]:
    """Why a scale cannot be saved, keyed like the form's fields («levels-1-min_score»);
    empty when it can. ``levels`` run from the top level down. Fills in the lowest
    level's threshold (the scale's minimum) when it is empty."""
    errors: dict[str, str] = {}
    if min_score is None:
        errors["min_score"] = "Вкажіть мінімальний бал шкали."
    if max_score is None:
        errors["max_score"] = "Вкажіть максимальний бал шкали."
    if errors:
        return errors
    if min_score >= max_score:
        errors["max_score"] = "Максимальний бал має бути більшим за мінімальний."
        return errors
    if not MIN_LEVELS <= len(levels) <= MAX_LEVELS:
        errors["levels"] = f"Шкала має містити від {MIN_LEVELS} до {MAX_LEVELS} рівнів."
        return errors
    seen = set()
    for index, level in enumerate(levels):
        if not level.name:
            errors[f"levels-{index}-name"] = "Вкажіть назву рівня."
        elif level.name.casefold() in seen:
            errors[f"levels-{index}-name"] = "Рівень з такою назвою вже є в шкалі."
        seen.add(level.name.casefold())
        if level.colour not in set(LevelColour):
            errors[f"levels-{index}-colour"] = "Оберіть колір із запропонованих."
    low, high = format_score(min_score), format_score(max_score)
    previous = None
    for index, level in enumerate(levels):
        key = f"levels-{index}-min_score"
        if index == len(levels) - 1:
            if level.min_score is None:
                level.min_score = min_score
            elif level.min_score != min_score:
                errors[key] = f"Найнижчий рівень починається з мінімального бала шкали ({low})."
            continue
        if level.min_score is None:
            errors[key] = "Вкажіть поріг: найменший бал, з якого починається цей рівень."
        elif not min_score < level.min_score <= max_score:
            errors[key] = f"Поріг має бути більшим за {low} і не більшим за {high}."
        elif (
            previous is not None
            and previous.min_score is not None
            and level.min_score >= previous.min_score
        ):
            errors[key] = (
                f"Поріг має бути нижчим, ніж у вищого рівня «{previous.name}» "
                f"({format_score(previous.min_score)})."
            )
        previous = level
    return errors


def level_for(scale, score) -> ScaleLevel | None:
    """The level a score falls into on one scale version (pure: reads only ``scale``).

    The score is rounded to two places first (half up), so the number a report shows
    and its level always agree. Each threshold is the inclusive lower bound of its
    level: level k covers [threshold k, threshold k-1), the top level [threshold 1,
    maximum]. On the default 1–4 scale 3,60 is «перший (високий)» and 3,59 «другий
    (достатній)». None for no score; ValueError for a score outside the scale.
    """
    if score is None:
        return None
    value = to_score(score)
    if not scale.min_score <= value <= scale.max_score:
        raise ValueError(
            f"Бал {format_score(value)} поза межами шкали "
            f"({format_score(scale.min_score)}–{format_score(scale.max_score)})."
        )
    ordered = sorted(scale.levels, key=lambda level: level.rank)
    for level in ordered:
        if value >= level.min_score:
            return level
    return ordered[-1]


def mean_score(scores: Iterable) -> Decimal | None:
    """The average one level up the hierarchy (indicators → criteria → requirements →
    directions): the arithmetic mean of the scores given, two places; None if none."""
    values = [to_score(score) for score in scores if score is not None]
    if not values:
        return None
    return to_score(sum(values) / len(values))


def current_scale() -> LevelScale | None:
    """The newest version, with its levels."""
    return db.session.scalar(
        select(LevelScale)
        .order_by(LevelScale.number.desc())
        .limit(1)
        .options(selectinload(LevelScale.levels))
    )


def scale_versions() -> list[LevelScale]:
    return db.session.scalars(
        select(LevelScale)
        .order_by(LevelScale.number.desc())
        .options(selectinload(LevelScale.levels), selectinload(LevelScale.created_by))
    ).all()


def _add_scale(institution_id, actor, number, title, min_score, max_score, levels) -> LevelScale:
    scale = LevelScale(
        institution_id=institution_id,
        number=number,
        title=title,
        min_score=min_score,
        max_score=max_score,
        created_by_id=actor.id if actor is not None else None,
    )
    db.session.add(scale)
    db.session.flush()
    for rank, level in enumerate(levels, start=1):
        db.session.add(
            ScaleLevel(
                institution_id=institution_id,
                scale_id=scale.id,
                rank=rank,
                name=level.name,
                description=level.description,
                colour=LevelColour(level.colour),
                min_score=level.min_score,
            )
        )
    return scale


def create_scale_version(
    actor, title: str, min_score, max_score, levels: list[LevelDraft], based_on: int | None
) -> LevelScale:
    """Save a changed scale as the next version; earlier versions stay as they were.

    ``based_on`` is the number of the version the form was opened at: if another
    person has saved a newer one since, this save is refused.
    """
    title = (title or "").strip()
    if not title:
        raise DomainError("Вкажіть назву шкали.")
    errors = scale_errors(min_score, max_score, levels)
    if errors:
        raise DomainError("Шкалу не збережено: " + " ".join(dict.fromkeys(errors.values())))
    current = current_scale()
    if current is not None and based_on != current.number:
        raise ConflictError(
            f"Поки ви редагували, інший користувач зберіг версію {current.number} шкали рівнів. "
            "Оновіть сторінку, щоб побачити її, і внесіть свої зміни знову."
        )
    number = current.number + 1 if current else 1
    scale = _add_scale(None, actor, number, title, min_score, max_score, levels)
    try:
        db.session.flush()
    except IntegrityError as error:
        raise ConflictError(
            "Інший користувач щойно зберіг нову версію шкали рівнів. Оновіть сторінку."
        ) from error
    bands = "; ".join(f"{level.name} — від {format_score(level.min_score)}" for level in levels)
    record(
        actor,
        "quality_system.scale_created",
        scale,
        f"Створено версію {number} шкали рівнів «{title}» "
        f"({format_score(min_score)}–{format_score(max_score)}): {bands}",
        number=number,
    )
    db.session.flush()
    return scale


def drafts_of(scale: LevelScale | None) -> list[LevelDraft]:
    """A scale's levels as editable drafts (the default ones when there is no scale)."""
    if scale is None:
        return [LevelDraft(*level) for level in DEFAULT_LEVELS]
    return [
        LevelDraft(level.name, level.description, level.colour, level.min_score)
        for level in scale.levels
    ]


# The self-assessment model and its multi-year plan.


def default_plan(
    kind: ModelKind, start_year: int, years: int, comprehensive_every: int
) -> set[tuple[int, int]]:
    """Which directions each school year assesses when the plan follows the model:
    annual comprehensive — all four every year; targeted — one direction a year in
    turn, every ``comprehensive_every``-th year all four (before the director's annual
    report); before the development programme — all four in the first year and then
    every ``comprehensive_every`` years; the institution's own — nothing preset."""
    every = max(comprehensive_every or DEFAULT_COMPREHENSIVE_EVERY, 1)
    all_directions = list(DIRECTIONS)
    cells = set()
    turn = 0
    for index, year in enumerate(range(start_year, start_year + years)):
        if kind == ModelKind.ANNUAL_COMPREHENSIVE:
            chosen = all_directions
        elif kind == ModelKind.ANNUAL_TARGETED:
            if (index + 1) % every == 0:
                chosen = all_directions
            else:
                chosen = [all_directions[turn % len(all_directions)]]
                turn += 1
        elif kind == ModelKind.PROGRAMME_COMPREHENSIVE:
            chosen = all_directions if index % every == 0 else []
        else:
            chosen = []
        cells.update((year, direction) for direction in chosen)
    return cells


def _model_default_plan(model: SelfAssessmentModel) -> set[tuple[int, int]]:
    return default_plan(
        model.kind, model.plan_start_year, model.plan_years, model.comprehensive_every
    )


def assessment_model() -> SelfAssessmentModel | None:
    return db.session.scalar(select(SelfAssessmentModel))


def plan_cells() -> set[tuple[int, int]]:
    return {
        (entry.school_year, entry.direction)
        for entry in db.session.scalars(select(SelfAssessmentPlanEntry))
    }


def _replace_plan(cells: set[tuple[int, int]]) -> tuple[list, list]:
    """Make the stored plan equal ``cells``; returns (added, removed)."""
    entries = db.session.scalars(select(SelfAssessmentPlanEntry)).all()
    stored = {(entry.school_year, entry.direction): entry for entry in entries}
    removed = sorted(set(stored) - cells)
    added = sorted(cells - set(stored))
    for cell in removed:
        db.session.delete(stored[cell])
    # Deletes first: a cell removed and added back must not clash on the unique key.
    db.session.flush()
    for year, direction in added:
        db.session.add(SelfAssessmentPlanEntry(school_year=year, direction=direction))
    return added, removed


MODEL_FIELDS = (
    "kind",
    "description",
    "block_system",
    "comprehensive_every",
    "plan_start_year",
    "plan_years",
)
MODEL_LABELS = {
    "kind": "модель",
    "description": "опис",
    "block_system": "блокову систему",
    "comprehensive_every": "періодичність комплексного самооцінювання",
    "plan_start_year": "початок плану",
    "plan_years": "тривалість плану",
}


def update_model(actor, model: SelfAssessmentModel, data: dict, version) -> list[str]:
    """Choose the model and the plan's period. A new model refills the plan the way it
    prescribes; a new period keeps the cells inside it and fills the new years."""
    check_version(model, version)
    values = {
        "kind": ModelKind(data["kind"]),
        "description": _text(data, "description"),
        "block_system": bool(data.get("block_system")),
        "comprehensive_every": int(data.get("comprehensive_every") or model.comprehensive_every),
        "plan_start_year": int(data["plan_start_year"]),
        "plan_years": int(data["plan_years"]),
    }
    if values["kind"] == ModelKind.OWN and not values["description"]:
        raise DomainError("Опишіть власну модель самооцінювання.")
    if not 1 <= values["plan_years"] <= 10:
        raise DomainError("План самооцінювання складають на 1–10 років.")
    if not 2 <= values["comprehensive_every"] <= 10:
        raise DomainError("Комплексне самооцінювання проводять раз на 2–10 років.")
    old_years = set(model.plan_school_years)
    old_kind, old_every = model.kind, model.comprehensive_every
    changed = apply_changes(model, values)
    if not changed:
        return changed
    summary = "Змінено модель самооцінювання: " + ", ".join(MODEL_LABELS[n] for n in changed)
    if model.kind != old_kind or model.comprehensive_every != old_every:
        model.plan_updated_at = utcnow()
        _replace_plan(_model_default_plan(model))
        summary += "; план самооцінювання заповнено за моделлю"
    elif set(model.plan_school_years) != old_years:
        years = set(model.plan_school_years)
        kept = {cell for cell in plan_cells() if cell[0] in years}
        new_years = years - old_years
        kept |= {cell for cell in _model_default_plan(model) if cell[0] in new_years}
        model.plan_updated_at = utcnow()
        _replace_plan(kept)
        summary += "; період плану змінено"
    _flush()
    record(actor, "quality_system.model_updated", model, summary, fields=changed)
    return changed


def _describe_cells(cells) -> str:
    by_year: dict[int, list[int]] = {}
    for year, direction in sorted(cells):
        by_year.setdefault(year, []).append(direction)
    return "; ".join(
        f"{school_year_label(year)}: напрями {', '.join(map(str, directions))}"
        for year, directions in by_year.items()
    )


def save_plan(actor, model: SelfAssessmentModel, cells: set[tuple[int, int]], version) -> bool:
    """Save the grid of the multi-year plan (which directions in which school year)."""
    check_version(model, version)
    years = set(model.plan_school_years)
    for year, direction in cells:
        if year not in years or direction not in DIRECTIONS:
            raise DomainError("У плані можуть бути лише роки плану та чотири напрями.")
    if plan_cells() == set(cells):
        return False
    # Touching the model bumps its version: the grid is saved as one edit of it.
    model.plan_updated_at = utcnow()
    added, removed = _replace_plan(set(cells))
    _flush()
    parts = []
    if added:
        parts.append("додано " + _describe_cells(added))
    if removed:
        parts.append("знято " + _describe_cells(removed))
    record(
        actor,
        "quality_system.plan_updated",
        model,
        "Змінено план самооцінювання: " + "; ".join(parts),
        added=[list(cell) for cell in added],
        removed=[list(cell) for cell in removed],
    )
    return True


def reset_plan(actor, model: SelfAssessmentModel, version) -> bool:
    """Fill the plan the way the chosen model prescribes."""
    check_version(model, version)
    model.plan_updated_at = utcnow()
    added, removed = _replace_plan(_model_default_plan(model))
    _flush()
    record(
        actor,
        "quality_system.plan_reset",
        model,
        f"План самооцінювання заповнено за моделлю «{model.kind.label}»",
        added=[list(cell) for cell in added],
        removed=[list(cell) for cell in removed],
    )
    return bool(added or removed)


# The annual work plan and the development programme.


def annual_plans() -> list[AnnualPlan]:
    return db.session.scalars(
        select(AnnualPlan)
        .order_by(AnnualPlan.school_year.desc())
        .options(selectinload(AnnualPlan.sections))
    ).all()


def default_plan_title(school_year: int) -> str:
    return (
        f"План роботи закладу на {school_year_label(school_year)} навчальний рік "
        "та літній оздоровчий період"
    )


def _plan_values(data: dict) -> dict:
    year = int(data["school_year"])
    return {
        "school_year": year,
        "title": _text(data, "title") or default_plan_title(year),
        "approval": _text(data, "approval"),
    }


def _check_year_free(year: int, plan: AnnualPlan | None = None) -> None:
    query = select(AnnualPlan.id).where(AnnualPlan.school_year == year)
    if plan is not None:
        query = query.where(AnnualPlan.id != plan.id)
    if db.session.scalar(query) is not None:
        raise DomainError(f"План роботи на {school_year_label(year)} навчальний рік уже є.")


def create_annual_plan(actor, data: dict) -> AnnualPlan:
    values = _plan_values(data)
    _check_year_free(values["school_year"])
    plan = AnnualPlan(**values)
    db.session.add(plan)
    _flush()
    record(actor, "quality_system.annual_plan_created", plan, f"Додано «{plan.title}»")
    return plan


def update_annual_plan(actor, plan: AnnualPlan, data: dict, version) -> list[str]:
    check_version(plan, version)
    values = _plan_values(data)
    _check_year_free(values["school_year"], plan)
    changed = apply_changes(plan, values)
    if changed:
        _flush()
        record(
            actor,
            "quality_system.annual_plan_updated",
            plan,
            f"Змінено «{plan.title}»",
            fields=changed,
        )
    return changed


def delete_annual_plan(actor, plan: AnnualPlan, version) -> None:
    check_version(plan, version)
    record(actor, "quality_system.annual_plan_deleted", plan, f"Вилучено «{plan.title}»")
    db.session.delete(plan)
    _flush()


def sections_of(plan: AnnualPlan) -> list[AnnualPlanSection]:
    return db.session.scalars(
        select(AnnualPlanSection)
        .where(AnnualPlanSection.plan_id == plan.id)
        .order_by(AnnualPlanSection.position, AnnualPlanSection.id)
    ).all()


def _section_title(data: dict) -> str:
    title = _text(data, "title")
    if not title:
        raise DomainError("Вкажіть назву розділу.")
    return title


def add_section(actor, plan: AnnualPlan, data: dict) -> AnnualPlanSection:
    section = AnnualPlanSection(
        plan_id=plan.id,
        position=_next_position(AnnualPlanSection, AnnualPlanSection.plan_id == plan.id),
        title=_section_title(data),
    )
    db.session.add(section)
    _flush()
    record(
        actor,
        "quality_system.plan_section_created",
        section,
        f"План роботи {plan.school_year_label}: додано розділ «{_short(section.title)}»",
        plan_id=plan.id,
    )
    return section


def update_section(actor, section: AnnualPlanSection, data: dict, version) -> list[str]:
    check_version(section, version)
    changed = apply_changes(section, {"title": _section_title(data)})
    if changed:
        _flush()
        record(
            actor,
            "quality_system.plan_section_updated",
            section,
            f"План роботи {section.plan.school_year_label}: розділ перейменовано на "
            f"«{_short(section.title)}»",
            plan_id=section.plan_id,
        )
    return changed


def delete_section(actor, section: AnnualPlanSection, version) -> None:
    check_version(section, version)
    record(
        actor,
        "quality_system.plan_section_deleted",
        section,
        f"План роботи {section.plan.school_year_label}: вилучено розділ «{_short(section.title)}»",
        plan_id=section.plan_id,
    )
    db.session.delete(section)
    _flush()


def move_section(actor, section: AnnualPlanSection, direction: str) -> bool:
    moved = _move(AnnualPlanSection, section, sections_of(section.plan), direction)
    if moved:
        record(
            actor,
            "quality_system.plan_section_moved",
            section,
            f"План роботи {section.plan.school_year_label}: розділ «{_short(section.title)}» "
            f"переміщено {MOVE_WORDS[direction]}",
            plan_id=section.plan_id,
            direction=direction,
        )
        _flush()
    return moved


def programmes() -> list[DevelopmentProgramme]:
    return db.session.scalars(
        select(DevelopmentProgramme).order_by(
            DevelopmentProgramme.start_year.desc(), DevelopmentProgramme.id.desc()
        )
    ).all()


def _programme_values(data: dict) -> dict:
    values = {
        "title": _text(data, "title"),
        "start_year": int(data["start_year"]),
        "end_year": int(data["end_year"]),
        "goals": _text(data, "goals"),
    }
    if not values["title"]:
        raise DomainError("Вкажіть назву програми розвитку.")
    if not 1 <= values["end_year"] - values["start_year"] + 1 <= 10:
        raise DomainError("Програма розвитку триває від 1 до 10 років (як правило, 3–5).")
    return values


def create_programme(actor, data: dict) -> DevelopmentProgramme:
    programme = DevelopmentProgramme(**_programme_values(data))
    db.session.add(programme)
    _flush()
    record(
        actor,
        "quality_system.programme_created",
        programme,
        f"Додано програму розвитку «{programme.title}» на {programme.period_label} роки",
    )
    return programme


def update_programme(actor, programme: DevelopmentProgramme, data: dict, version) -> list[str]:
    check_version(programme, version)
    changed = apply_changes(programme, _programme_values(data))
    if changed:
        _flush()
        record(
            actor,
            "quality_system.programme_updated",
            programme,
            f"Змінено програму розвитку «{programme.title}» ({programme.period_label})",
            fields=changed,
        )
    return changed


def delete_programme(actor, programme: DevelopmentProgramme, version) -> None:
    check_version(programme, version)
    record(
        actor,
        "quality_system.programme_deleted",
        programme,
        f"Вилучено програму розвитку «{programme.title}» ({programme.period_label})",
    )
    db.session.delete(programme)
    _flush()


# The overview: what is configured and what is still missing.


@dataclass
class Todo:
    """Something still missing, with the page that fixes it."""

    text: str
    endpoint: str
    values: dict = field(default_factory=dict)


@dataclass
class Part:
    key: str
    title: str
    endpoint: str
    todos: list[Todo] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.todos


@dataclass
class Overview:
    set_up: bool
    parts: list[Part]
    components: list[tuple[QualityComponent, int]]
    policy: QualityPolicy | None
    orientation_count: int
    features: InstitutionFeatures | None
    scale: LevelScale | None
    levels: list[ScaleLevel]
    model: SelfAssessmentModel | None
    plan_cell_count: int
    #: Directions the plan assesses in the current school year.
    current_directions: list[int]
    annual_plan_count: int
    programme_count: int
    school_year: int

    @property
    def todo_count(self) -> int:
        return sum(len(part.todos) for part in self.parts)


BP = "institution.quality_system."


def _count_of(model, *criteria):
    """Rows of ``model`` of the institution in the enclosing query, as a column."""
    return (
        select(func.count(model.id))
        .where(model.institution_id == Institution.id, *criteria)
        .scalar_subquery()
    )


def overview(today: date | None = None) -> Overview:
    """Everything the overview page shows, in three statements: the components with
    their measure counts; one row of the institution with its single-row parts and
    the counts of the rest; the levels of the current scale."""
    school_year = current_school_year(today)
    year = current_year(today)
    component_rows = components_with_counts()
    entry = SelfAssessmentPlanEntry
    this_year = [
        _count_of(entry, entry.school_year == school_year, entry.direction == direction)
        for direction in DIRECTIONS
    ]
    current_plan = (
        select(AnnualPlan.id)
        .where(AnnualPlan.institution_id == Institution.id, AnnualPlan.school_year == school_year)
        .scalar_subquery()
    )
    current_plan_sections = (
        select(func.count(AnnualPlanSection.id))
        .join(AnnualPlan, AnnualPlan.id == AnnualPlanSection.plan_id)
        .where(
            AnnualPlanSection.institution_id == Institution.id,
            AnnualPlan.school_year == school_year,
        )
        .scalar_subquery()
    )
    row = db.session.execute(
        select(
            QualityPolicy,
            InstitutionFeatures,
            SelfAssessmentModel,
            _count_of(QualityOrientation),
            _count_of(entry),
            _count_of(AnnualPlan),
            current_plan,
            current_plan_sections,
            _count_of(DevelopmentProgramme),
            _count_of(
                DevelopmentProgramme,
                DevelopmentProgramme.start_year <= year,
                DevelopmentProgramme.end_year >= year,
            ),
            *this_year,
        )
        .select_from(Institution)
        .outerjoin(QualityPolicy, QualityPolicy.institution_id == Institution.id)
        .outerjoin(InstitutionFeatures, InstitutionFeatures.institution_id == Institution.id)
        .outerjoin(SelfAssessmentModel, SelfAssessmentModel.institution_id == Institution.id)
    ).one()
    (
        quality_policy,
        institution_features,
        model,
        orientation_total,
        cell_total,
        plan_total,
        current_plan_id,
        section_total,
        programme_total,
        current_programmes,
        *direction_flags,
    ) = row
    current_directions = [
        direction for direction, flag in zip(DIRECTIONS, direction_flags, strict=True) if flag
    ]
    newest = select(func.max(LevelScale.number)).scalar_subquery()
    levels = db.session.scalars(
        select(ScaleLevel)
        .join(ScaleLevel.scale)
        .where(LevelScale.number == newest)
        .options(contains_eager(ScaleLevel.scale))
        .order_by(ScaleLevel.rank)
    ).all()
    scale = levels[0].scale if levels else None

    components_part = Part("components", "Компоненти внутрішньої системи", BP + "components")
    for component, measure_count in component_rows:
        missing = []
        if not component.description:
            missing.append("опису")
        if not component.policies:
            missing.append("політик")
        if not measure_count:
            missing.append("процедур")
        if missing:
            components_part.todos.append(
                Todo(
                    f"Компонент «{_short(component.title, 70)}» без {_words(missing)}",
                    BP + "component",
                    {"quality_component_id": component.id},
                )
            )
    if not component_rows:
        components_part.todos.append(Todo("Не визначено жодного компонента", BP + "components"))

    policy_part = Part("policy", "Стратегія (політика) забезпечення якості освіти", BP + "policy")
    if quality_policy is None or not quality_policy.goal:
        policy_part.todos.append(Todo("Не визначено основну мету політики", BP + "policy"))
    if not orientation_total:
        policy_part.todos.append(Todo("Не визначено жодного орієнтиру політики", BP + "policy"))

    features_part = Part("features", "Особливості закладу", BP + "features")
    feature_todos = {
        "settlement_type": "Не вказано тип населеного пункту",
        "staff_features": "Не описано особливості педагогічного колективу",
        "group_count": "Не вказано кількість груп",
        "child_count": "Не вказано кількість дітей",
        "teacher_count": "Не вказано кількість педагогічних працівників",
        "other_staff_count": "Не вказано кількість інших працівників",
        "education_language": "Не вказано мову освітнього процесу",
        "operating_mode": "Не вказано режим роботи",
    }
    for name, text in feature_todos.items():
        value = getattr(institution_features, name, None)
        if value is None or value == "":
            features_part.todos.append(Todo(text, BP + "features"))

    levels_part = Part("levels", "Рівні оцінювання", BP + "levels")
    if scale is None:
        levels_part.todos.append(Todo("Не визначено шкалу рівнів", BP + "levels"))

    model_part = Part("model", "Модель і план самооцінювання", BP + "model")
    if model is None:
        model_part.todos.append(Todo("Не обрано модель самооцінювання", BP + "model"))
    else:
        if model.kind == ModelKind.OWN and not model.description:
            model_part.todos.append(Todo("Не описано власну модель самооцінювання", BP + "model"))
        if not cell_total:
            model_part.todos.append(
                Todo("У плані самооцінювання не заплановано жодного напряму", BP + "model")
            )
        if school_year not in model.plan_school_years:
            model_part.todos.append(
                Todo(
                    f"План самооцінювання не охоплює поточний {school_year_label(school_year)} "
                    "навчальний рік",
                    BP + "model",
                )
            )

    plans_part = Part("plans", "План роботи і програма розвитку", BP + "plans")
    if current_plan_id is None:
        plans_part.todos.append(
            Todo(
                f"Немає плану роботи на {school_year_label(school_year)} навчальний рік",
                BP + "new_annual_plan",
            )
        )
    elif not section_total:
        block = model is not None and model.block_system
        reason = " (потрібні для самооцінювання за блоковою системою)" if block else ""
        plans_part.todos.append(
            Todo(
                f"План роботи на {school_year_label(school_year)} навчальний рік без "
                f"розділів{reason}",
                BP + "annual_plan",
                {"annual_plan_id": current_plan_id},
            )
        )
    if not current_programmes:
        plans_part.todos.append(
            Todo(f"Немає програми розвитку, чинної у {year} році", BP + "new_programme")
        )

    return Overview(
        set_up=None not in (quality_policy, institution_features, model, scale)
        and bool(component_rows),
        parts=[components_part, policy_part, features_part, levels_part, model_part, plans_part],
        components=component_rows,
        policy=quality_policy,
        orientation_count=orientation_total,
        features=institution_features,
        scale=scale,
        levels=list(levels),
        model=model,
        plan_cell_count=cell_total,
        current_directions=current_directions,
        annual_plan_count=plan_total,
        programme_count=programme_total,
        school_year=school_year,
    )
