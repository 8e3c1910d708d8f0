"""Steps people take with questionnaires: build, copy, publish, collect, process.

Every staff step flushes and records one audit row; nothing here commits.
Anonymous submissions are deliberately not audited (see ``dozq.surveys.models``).
Ids that come from forms are resolved by the views with scoped lookups
(``db.get_or_404``) or here with scoped selects, so a foreign id never lands.
"""

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache

from sqlalchemy import bindparam, delete, exists, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from dozq.audit.services import record
from dozq.catalog.models import CatalogItem, InstitutionCatalog, ItemKind
from dozq.db import apply_changes, db, utcnow
from dozq.surveys import library
from dozq.surveys.models import (
    ANSWERED,
    POSITIVE,
    WHOLE_RESPONSE,
    Channel,
    QuestionKind,
    Questionnaire,
    SurveyAnswer,
    SurveyAudience,
    SurveyCode,
    SurveyGroup,
    SurveyIndicatorLink,
    SurveyLink,
    SurveyOffer,
    SurveyOption,
    SurveyQuestion,
    SurveyResponse,
    SurveySection,
    SurveyTally,
)
from dozq.tenancy.models import Institution
from dozq.tenancy.scope import Scope, tenant_scope
from dozq.tenancy.services import check_version
from dozq.web.cache import KeptCache
from dozq.web.errors import ConflictError, DomainError
from dozq.web.filters import KYIV

CONFLICT_MESSAGE = (
    "Поки ви редагували, цей запис змінив інший користувач. "
    "Оновіть сторінку, щоб побачити нову версію, і внесіть свої зміни знову."
)
LOCKED_BY_RESPONSES = (
    "Анкета вже має відповіді, тож змінювати склад питань і варіантів не можна: "
    "інакше результати стануть непорівнюваними. Створіть нову редакцію анкети."
)
LOCKED_BY_OFFER = (
    "Цю анкету запропонував засновник для всіх закладів: питання й варіанти однакові "
    "в усіх копіях, щоб результати можна було порівняти. Змінити можна вступ, "
    "терміни, налаштування, позитивні відповіді та зв’язки з індикаторами."
)

DEFAULT_SECTION_TITLE = "Питання анкети"
DEFAULT_MIN_GROUP_SIZE = 5
MAX_CODES_PER_SHEET = 500
MAX_OPTIONS = 20
MAX_OPTION_LENGTH = 300
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10

DEFAULT_SCALE_LABELS = {
    3: ["Ні", "Частково", "Так"],
    4: ["Зовсім ні", "Скоріше ні", "Скоріше так", "Так"],
    5: [
        "Зовсім не згоден (не згодна)",
        "Скоріше не згоден (не згодна)",
        "Важко сказати",
        "Скоріше згоден (згодна)",
        "Повністю згоден (згодна)",
    ],
}
YES_PARTLY_NO = (("Так", True), ("Частково", False), ("Ні", False))
DEFAULT_OTHER_LABEL = "Інше (зазначте)"
MOVE_WORDS = {"up": "вище", "down": "нижче"}


# Dates: the day and the school year as a kindergarten counts them.


def today() -> date:
    return datetime.now(KYIV).date()


def school_year_of(day: date) -> int:
    """The school year a day belongs to (2025 = 2025/2026): it starts on 1 September."""
    return day.year if day.month >= 9 else day.year - 1


def school_year_label(year: int) -> str:
    return f"{year}/{year + 1}"


def positive_scale_value(value: int, points: int) -> bool:
    """The upper half of a scale counts as positive: 3 of 3, 3–4 of 4, 4–5 of 5."""
    return value > (points + 1) / 2


def new_key() -> str:
    return secrets.token_hex(16)


def _flush() -> None:
    try:
        db.session.flush()
    except StaleDataError as error:
        raise ConflictError(CONFLICT_MESSAGE) from error


def touch(questionnaire_id: int | None = None, *, structure: bool = False) -> None:
    """Bump ``data_version`` of a questionnaire (or of all the institution's): cached
    results of the previous version are never served again; with ``structure`` (its
    sections, questions or options changed) ``structure_version`` too. An UPDATE
    statement, so that it neither conflicts with someone's open settings form nor is
    lost."""
    values = {"data_version": Questionnaire.data_version + 1}
    if structure:
        values["structure_version"] = Questionnaire.structure_version + 1
    statement = update(Questionnaire).values(**values)
    if questionnaire_id is not None:
        statement = statement.where(Questionnaire.id == questionnaire_id)
    db.session.execute(statement, execution_options={"synchronize_session": False})


def _clean(text: str | None) -> str:
    """Text as people meant it: no control characters (PostgreSQL refuses NUL)."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return "".join(char for char in text if char in "\n\t" or ord(char) >= 32).strip()


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in _clean(text).split("\n") if line.strip()]


# Reading questionnaires (in the current scope).


def has_responses(questionnaire: Questionnaire) -> bool:
    return bool(
        db.session.scalar(
            select(exists().where(SurveyResponse.questionnaire_id == questionnaire.id))
        )
    )


def load_structure(questionnaire_id: int) -> list[SurveyQuestion]:
    """The questions with their sections and options, in order, in one query."""
    return list(
        db.session.scalars(
            select(SurveyQuestion)
            .join(SurveyQuestion.section)
            .where(SurveyQuestion.questionnaire_id == questionnaire_id)
            .order_by(
                SurveySection.position, SurveySection.id, SurveyQuestion.position, SurveyQuestion.id
            )
            .options(contains_eager(SurveyQuestion.section), joinedload(SurveyQuestion.options))
        ).unique()
    )


@dataclass(slots=True)
class OptionView:
    """An option as the forms and results read it (no ORM object behind it)."""

    id: int
    label: str
    value: int | None
    positive: bool
    is_other: bool


@dataclass(slots=True)
class QuestionView:
    """A question with its options, read-only: forms, results, exports, dynamics."""

    id: int
    section_id: int
    section_title: str
    kind: QuestionKind
    text: str
    hint: str
    required: bool
    scale_points: int | None
    allow_many: bool
    lineage_key: str
    options: list[OptionView] = field(default_factory=list)

    @property
    def is_multiple(self) -> bool:
        return self.kind is QuestionKind.MULTIPLE or (
            self.kind is QuestionKind.SEMI_CLOSED and self.allow_many
        )

    @property
    def has_positive(self) -> bool:
        return any(option.positive for option in self.options)


@cache
def _question_views_statement():
    """The statement of ``question_views`` (the questionnaire is a bound parameter),
    built once: building it costs more than running it."""
    question, option, section = SurveyQuestion, SurveyOption, SurveySection
    return (
        select(
            question.id,
            question.section_id,
            section.title,
            question.kind,
            question.text,
            question.hint,
            question.required,
            question.scale_points,
            question.allow_many,
            question.lineage_key,
            option.id,
            option.label,
            option.value,
            option.positive,
            option.is_other,
        )
        .join(section, section.id == question.section_id)
        .outerjoin(option, option.question_id == question.id)
        .where(question.questionnaire_id == bindparam("questionnaire_id"))
        .order_by(
            section.position,
            section.id,
            question.position,
            question.id,
            option.position,
            option.id,
        )
    )


def question_views(questionnaire_id: int) -> list[QuestionView]:
    """The questions and options of a questionnaire, in order, as plain rows: one
    column query (no ORM objects to build), for the pages that only read them."""
    rows = db.session.execute(_question_views_statement(), {"questionnaire_id": questionnaire_id})
    found: list[QuestionView] = []
    for row in rows:
        if not found or found[-1].id != row[0]:
            found.append(QuestionView(*row[:10]))
        if row[10] is not None:
            found[-1].options.append(OptionView(*row[10:]))
    return found


#: Questionnaires' structures, kept between answers (some 10 kB each).
kept_structures = KeptCache(1024)


def kept_question_views(questionnaire: Questionnaire) -> list[QuestionView]:
    """``question_views`` of ``questionnaire``, kept at its structure version: answers
    leave it unchanged, so results recomputed after each answer read it once. The
    views are shared between requests: read them, never change them."""
    key = (
        questionnaire.institution_id,
        questionnaire.id,
        # A deleted questionnaire's id may come back: its moment of creation differs.
        questionnaire.created_at,
        questionnaire.structure_version,
    )
    views = kept_structures.get(key)
    if views is None:
        views = question_views(questionnaire.id)
        kept_structures.put(key, views)
    return views


def active_indicators() -> list[CatalogItem]:
    """Indicators of the institution's active catalog that are switched on."""
    return list(
        db.session.scalars(
            select(CatalogItem)
            .join(InstitutionCatalog, InstitutionCatalog.id == CatalogItem.catalog_id)
            .where(
                InstitutionCatalog.is_active.is_(True),
                CatalogItem.kind == ItemKind.INDICATOR,
                CatalogItem.enabled.is_(True),
            )
            .order_by(CatalogItem.code)
        )
    )


def indicators_by_code(codes: Iterable[str]) -> dict[str, CatalogItem]:
    codes = set(codes)
    if not codes:
        return {}
    rows = db.session.scalars(
        select(CatalogItem)
        .join(InstitutionCatalog, InstitutionCatalog.id == CatalogItem.catalog_id)
        .where(
            InstitutionCatalog.is_active.is_(True),
            CatalogItem.kind == ItemKind.INDICATOR,
            CatalogItem.code.in_(codes),
        )
    )
    return {item.code: item for item in rows}


def _structure_editable(questionnaire: Questionnaire) -> None:
    if questionnaire.offer_id is not None:
        raise DomainError(LOCKED_BY_OFFER)
    if has_responses(questionnaire):
        raise DomainError(LOCKED_BY_RESPONSES)


def structure_lock(questionnaire: Questionnaire) -> str | None:
    """Why the questions of ``questionnaire`` cannot be added, removed or retyped."""
    if questionnaire.offer_id is not None:
        return LOCKED_BY_OFFER
    if has_responses(questionnaire):
        return LOCKED_BY_RESPONSES
    return None


def _expected_for(audience: SurveyAudience) -> int | None:
    from dozq.quality_system.models import Audience, InstitutionFeatures

    features = db.session.scalar(select(InstitutionFeatures))
    if features is None:
        return None
    mapping = {
        SurveyAudience.PARENTS: Audience.PARENTS,
        SurveyAudience.TEACHERS: Audience.TEACHERS,
        SurveyAudience.OTHER_STAFF: Audience.STAFF,
    }
    if audience not in mapping:
        return None
    return features.expected_respondents(mapping[audience])


# Building.


def create_questionnaire(actor, data: dict) -> Questionnaire:
    audience = SurveyAudience(data["audience"])
    questionnaire = Questionnaire(
        title=_clean(data["title"]),
        audience=audience,
        introduction=_clean(data.get("introduction")),
        school_year=school_year_of(today()),
        min_group_size=DEFAULT_MIN_GROUP_SIZE,
        expected_respondents=_expected_for(audience),
        series_key=new_key(),
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(questionnaire)
    db.session.flush()
    db.session.add(
        SurveySection(questionnaire_id=questionnaire.id, position=1, title=DEFAULT_SECTION_TITLE)
    )
    db.session.flush()
    record(
        actor,
        "survey.created",
        questionnaire,
        f"Створено анкету «{questionnaire.title}»",
    )
    return questionnaire


def update_questionnaire(actor, questionnaire: Questionnaire, data: dict, version) -> None:
    check_version(questionnaire, version)
    values = {
        "title": _clean(data["title"]),
        "audience": SurveyAudience(data["audience"]),
        "introduction": _clean(data.get("introduction")),
        "min_group_size": int(data["min_group_size"]),
        "expected_respondents": data.get("expected_respondents"),
    }
    if values["audience"] != questionnaire.audience:
        if questionnaire.offer_id is not None:
            raise DomainError(LOCKED_BY_OFFER)
        if has_responses(questionnaire):
            raise DomainError(LOCKED_BY_RESPONSES)
    changed = apply_changes(questionnaire, values)
    _flush()
    if changed:
        record(
            actor,
            "survey.updated",
            questionnaire,
            f"Змінено налаштування анкети «{questionnaire.title}»",
            fields=changed,
        )


def delete_questionnaire(actor, questionnaire: Questionnaire) -> None:
    if has_responses(questionnaire):
        raise DomainError(
            "Анкету, на яку вже відповіли, видалити не можна: її результати — частина "
            "самооцінювання. Закрийте опитування, щоб більше не приймати відповідей."
        )
    title = questionnaire.title
    db.session.delete(questionnaire)
    db.session.flush()
    record(actor, "survey.deleted", None, f"Видалено анкету «{title}»")


def _next_position(model, *criteria) -> int:
    return (db.session.scalar(select(func.max(model.position)).where(*criteria)) or 0) + 1


def add_section(actor, questionnaire: Questionnaire, title: str) -> SurveySection:
    _structure_editable(questionnaire)
    section = SurveySection(
        questionnaire_id=questionnaire.id,
        position=_next_position(SurveySection, SurveySection.questionnaire_id == questionnaire.id),
        title=_clean(title),
    )
    db.session.add(section)
    db.session.flush()
    touch(questionnaire.id, structure=True)
    record(actor, "survey.section_added", questionnaire, f"Додано розділ «{section.title}»")
    return section


def update_section(actor, section: SurveySection, title: str, version) -> None:
    check_version(section, version)
    if section.questionnaire.offer_id is not None:
        raise DomainError(LOCKED_BY_OFFER)
    section.title = _clean(title)
    _flush()
    touch(section.questionnaire_id, structure=True)
    record(
        actor,
        "survey.section_updated",
        section.questionnaire,
        f"Перейменовано розділ «{section.title}»",
    )


def delete_section(actor, section: SurveySection) -> None:
    questionnaire = section.questionnaire
    _structure_editable(questionnaire)
    if section.questions:
        raise DomainError("Розділ містить питання: спершу перенесіть або видаліть їх.")
    sections = questionnaire.sections
    if len(sections) <= 1:
        raise DomainError("В анкеті має залишитися принаймні один розділ.")
    title = section.title
    db.session.delete(section)
    db.session.flush()
    touch(questionnaire.id, structure=True)
    record(actor, "survey.section_deleted", questionnaire, f"Видалено розділ «{title}»")


def _swap(model, items: list, item, direction: str) -> bool:
    """Swap ``item`` with its neighbour and renumber 1..n by UPDATE statements
    (a reorder does not bump versions, so it never conflicts with a text edit)."""
    if direction not in MOVE_WORDS:
        raise DomainError("Невідомий напрям переміщення.")
    order = [row.id for row in items]
    index = order.index(item.id)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(order):
        return False
    order[index], order[other] = order[other], order[index]
    positions = {row.id: row.position for row in items}
    for position, row_id in enumerate(order, start=1):
        if positions[row_id] != position:
            db.session.execute(
                update(model).where(model.id == row_id).values(position=position),
                execution_options={"synchronize_session": "fetch"},
            )
    return True


def move_section(actor, section: SurveySection, direction: str) -> bool:
    questionnaire = section.questionnaire
    moved = _swap(SurveySection, list(questionnaire.sections), section, direction)
    if moved:
        touch(questionnaire.id, structure=True)
        record(
            actor,
            "survey.section_moved",
            questionnaire,
            f"Розділ «{section.title}» переміщено {MOVE_WORDS[direction]}",
        )
    return moved


def move_question(actor, question: SurveyQuestion, direction: str) -> bool:
    """Up or down within its section; past the section's edge into the next one."""
    if direction not in MOVE_WORDS:
        raise DomainError("Невідомий напрям переміщення.")
    section = question.section
    siblings = list(section.questions)
    index = siblings.index(question)
    at_edge = index == 0 if direction == "up" else index == len(siblings) - 1
    if not at_edge:
        moved = _swap(SurveyQuestion, siblings, question, direction)
    else:
        sections = list(section.questionnaire.sections)
        neighbour = sections.index(section) + (-1 if direction == "up" else 1)
        if not 0 <= neighbour < len(sections):
            return False
        target = sections[neighbour]
        targets = list(target.questions)
        if direction == "up":
            position = (targets[-1].position + 1) if targets else 1
        else:
            position = (targets[0].position - 1) if targets else 1
        db.session.execute(
            update(SurveyQuestion)
            .where(SurveyQuestion.id == question.id)
            .values(section_id=target.id, position=position),
            execution_options={"synchronize_session": "fetch"},
        )
        db.session.expire(section)
        db.session.expire(target)
        moved = True
    if moved:
        touch(question.questionnaire_id, structure=True)
        record(
            actor,
            "survey.question_moved",
            question.questionnaire,
            f"Питання «{_short(question.text)}» переміщено {MOVE_WORDS[direction]}",
        )
    return moved


def _short(text: str, length: int = 80) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


@dataclass
class QuestionSpec:
    """What a question is made of, from a form or the library."""

    kind: QuestionKind
    text: str
    hint: str = ""
    required: bool = True
    options: list[str] = field(default_factory=list)
    positive: set[str] = field(default_factory=set)
    scale_points: int | None = None
    scale_labels: list[str] = field(default_factory=list)
    other_label: str = DEFAULT_OTHER_LABEL
    allow_many: bool = True


def check_spec(spec: QuestionSpec) -> None:
    if not spec.text:
        raise DomainError("Напишіть текст питання.")
    if spec.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.SEMI_CLOSED):
        minimum = 1 if spec.kind is QuestionKind.SEMI_CLOSED else 2
        if len(spec.options) < minimum:
            raise DomainError(
                "Додайте принаймні два варіанти відповіді (кожен з нового рядка)."
                if minimum == 2
                else "Додайте принаймні один варіант відповіді, крім «інше»."
            )
        if len(spec.options) > MAX_OPTIONS:
            raise DomainError(f"Не більше {MAX_OPTIONS} варіантів відповіді.")
        if len(set(spec.options)) != len(spec.options):
            raise DomainError("Варіанти відповіді повторюються.")
        if any(len(option) > MAX_OPTION_LENGTH for option in spec.options):
            raise DomainError(f"Варіант відповіді довший за {MAX_OPTION_LENGTH} символів.")
    if spec.kind is QuestionKind.SCALE:
        if spec.scale_points not in (3, 4, 5):
            raise DomainError("Шкала має від 3 до 5 балів.")
        if len(spec.scale_labels) != spec.scale_points:
            raise DomainError(
                f"Підписів шкали має бути стільки, скільки балів: {spec.scale_points} "
                "(кожен з нового рядка, від найнижчого до найвищого)."
            )
        if any(len(label) > MAX_OPTION_LENGTH for label in spec.scale_labels):
            raise DomainError(f"Підпис шкали довший за {MAX_OPTION_LENGTH} символів.")


def _option_rows(spec: QuestionSpec) -> list[dict]:
    """label, value, positive, is_other of each option, in order."""
    if spec.kind is QuestionKind.OPEN:
        return []
    if spec.kind is QuestionKind.YES_PARTLY_NO:
        return [
            {"label": label, "value": None, "positive": positive, "is_other": False}
            for label, positive in YES_PARTLY_NO
        ]
    if spec.kind is QuestionKind.SCALE:
        points = spec.scale_points
        return [
            {
                "label": label,
                "value": number,
                "positive": positive_scale_value(number, points),
                "is_other": False,
            }
            for number, label in enumerate(spec.scale_labels, start=1)
        ]
    rows = [
        {"label": label, "value": None, "positive": label in spec.positive, "is_other": False}
        for label in spec.options
    ]
    if spec.kind is QuestionKind.SEMI_CLOSED:
        rows.append(
            {
                "label": spec.other_label or DEFAULT_OTHER_LABEL,
                "value": None,
                "positive": False,
                "is_other": True,
            }
        )
    return rows


def _new_question(
    questionnaire: Questionnaire, section: SurveySection, spec: QuestionSpec, **extra
) -> SurveyQuestion:
    check_spec(spec)
    question = SurveyQuestion(
        questionnaire_id=questionnaire.id,
        section_id=section.id,
        position=_next_position(SurveyQuestion, SurveyQuestion.section_id == section.id),
        kind=spec.kind,
        text=spec.text,
        hint=spec.hint,
        required=spec.required,
        scale_points=spec.scale_points if spec.kind is QuestionKind.SCALE else None,
        allow_many=spec.allow_many,
        lineage_key=extra.pop("lineage_key", None) or new_key(),
        **extra,
    )
    question.options = [
        SurveyOption(position=position, **row)
        for position, row in enumerate(_option_rows(spec), start=1)
    ]
    db.session.add(question)
    return question


def add_question(
    actor, questionnaire: Questionnaire, section: SurveySection, spec: QuestionSpec
) -> SurveyQuestion:
    _structure_editable(questionnaire)
    if section.questionnaire_id != questionnaire.id:
        raise DomainError("Розділ належить іншій анкеті.")
    question = _new_question(questionnaire, section, spec)
    db.session.flush()
    touch(questionnaire.id, structure=True)
    record(
        actor,
        "survey.question_added",
        questionnaire,
        f"Додано питання «{_short(question.text)}» ({question.kind.label})",
    )
    return question


def spec_of(question: SurveyQuestion) -> QuestionSpec:
    """The editable description of a stored question."""
    regular = [option for option in question.options if not option.is_other]
    other = next((option for option in question.options if option.is_other), None)
    return QuestionSpec(
        kind=question.kind,
        text=question.text,
        hint=question.hint,
        required=question.required,
        options=[option.label for option in regular]
        if question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.SEMI_CLOSED)
        else [],
        positive={option.label for option in question.options if option.positive},
        scale_points=question.scale_points,
        scale_labels=[option.label for option in question.options]
        if question.kind is QuestionKind.SCALE
        else [],
        other_label=other.label if other else DEFAULT_OTHER_LABEL,
        allow_many=question.allow_many,
    )


def update_question(
    actor,
    question: SurveyQuestion,
    spec: QuestionSpec,
    section: SurveySection,
    version,
    positive_ids: set[int] | None = None,
) -> None:
    """Change a question. Wording may change at any time (typos); adding or removing
    options, another kind or another scale only while the questionnaire has no
    responses and is not a founder's offered copy."""
    check_version(question, version)
    questionnaire = question.questionnaire
    if section.questionnaire_id != questionnaire.id:
        raise DomainError("Розділ належить іншій анкеті.")
    check_spec(spec)
    if spec.kind is not QuestionKind.SEMI_CLOSED:
        # «Several options» is a choice of semi-closed questions only.
        spec.allow_many = question.allow_many
    lock = structure_lock(questionnaire)
    old_rows = [
        {
            "label": option.label,
            "value": option.value,
            "positive": option.positive,
            "is_other": option.is_other,
        }
        for option in question.options
    ]
    new_rows = _option_rows(spec)
    same_shape = spec.kind is question.kind and [
        (row["value"], row["is_other"]) for row in old_rows
    ] == [(row["value"], row["is_other"]) for row in new_rows]
    if lock == LOCKED_BY_OFFER and (
        spec.text != question.text
        or not same_shape
        or [row["label"] for row in old_rows] != [row["label"] for row in new_rows]
    ):
        raise DomainError(LOCKED_BY_OFFER)
    if lock and (not same_shape or spec.allow_many != question.allow_many):
        raise DomainError(lock)
    changed = []
    for name in ("text", "hint", "required", "allow_many"):
        if getattr(question, name) != getattr(spec, name):
            setattr(question, name, getattr(spec, name))
            changed.append(name)
    if question.section_id != section.id:
        question.section_id = section.id
        question.position = _next_position(SurveyQuestion, SurveyQuestion.section_id == section.id)
        changed.append("section")
    positives_changed = False
    if same_shape:
        for option, row in zip(question.options, new_rows, strict=True):
            if option.label != row["label"]:
                option.label = row["label"]
                changed.append("options")
    else:
        question.kind = spec.kind
        question.scale_points = spec.scale_points if spec.kind is QuestionKind.SCALE else None
        question.options = [
            SurveyOption(position=position, **row) for position, row in enumerate(new_rows, start=1)
        ]
        changed.append("kind/options")
    if positive_ids is not None and question.kind not in (QuestionKind.SCALE, QuestionKind.OPEN):
        for option in question.options:
            wanted = option.id in positive_ids and not option.is_other
            if option.id is not None and option.positive != wanted:
                option.positive = wanted
                positives_changed = True
        if positives_changed:
            changed.append("positive")
    if changed:
        # Options are rows of their own: the question's version must move too.
        flag_modified(question, "text")
    _flush()
    touch(questionnaire.id, structure=True)
    if positives_changed and has_responses(questionnaire):
        rebuild_tally(questionnaire)
    if changed:
        record(
            actor,
            "survey.question_updated",
            questionnaire,
            f"Змінено питання «{_short(question.text)}»",
            fields=sorted(set(changed)),
        )


def delete_question(actor, question: SurveyQuestion) -> None:
    questionnaire = question.questionnaire
    _structure_editable(questionnaire)
    text = question.text
    db.session.delete(question)
    db.session.flush()
    touch(questionnaire.id, structure=True)
    record(actor, "survey.question_deleted", questionnaire, f"Видалено питання «{_short(text)}»")


def set_question_indicators(actor, question: SurveyQuestion, indicator_ids: Iterable[int]) -> None:
    """Link the question (as a whole) to exactly these indicators of the catalog.
    Ids are looked up in the institution's scope: an unknown or foreign one is refused."""
    wanted = {int(value) for value in indicator_ids}
    found = {
        item.id
        for item in db.session.scalars(
            select(CatalogItem).where(
                CatalogItem.id.in_(wanted), CatalogItem.kind == ItemKind.INDICATOR
            )
        )
    }
    if found != wanted:
        raise DomainError("Серед обраних є індикатор, якого немає в каталозі закладу.")
    current = {
        link.catalog_item_id: link for link in question.indicator_links if not link.option_id
    }
    for item_id, link in current.items():
        if item_id not in wanted:
            question.indicator_links.remove(link)
    for item_id in sorted(wanted - set(current)):
        question.indicator_links.append(SurveyIndicatorLink(catalog_item_id=item_id))
    db.session.flush()
    if set(current) != wanted:
        record(
            actor,
            "survey.indicators_linked",
            question.questionnaire,
            f"Змінено індикатори питання «{_short(question.text)}»",
            indicators=sorted(wanted),
        )


def link_option_indicator(actor, option: SurveyOption, indicator: CatalogItem) -> None:
    if indicator.kind is not ItemKind.INDICATOR:
        raise DomainError("Пов’язати можна лише з індикатором.")
    question = option.question
    exists_already = any(
        link.option_id == option.id and link.catalog_item_id == indicator.id
        for link in question.indicator_links
    )
    if exists_already:
        return
    question.indicator_links.append(
        SurveyIndicatorLink(option_id=option.id, catalog_item_id=indicator.id)
    )
    db.session.flush()
    record(
        actor,
        "survey.indicators_linked",
        question.questionnaire,
        f"Варіант «{_short(option.label)}» пов’язано з індикатором {indicator.code}",
    )


def unlink_indicator(actor, link: SurveyIndicatorLink) -> None:
    question = link.question
    question.indicator_links.remove(link)
    db.session.flush()
    record(
        actor,
        "survey.indicators_linked",
        question.questionnaire,
        f"Знято зв’язок питання «{_short(question.text)}» з індикатором",
    )


# The library, founders' offers and editions.


def spec_from_definition(raw: dict) -> QuestionSpec:
    kind = QuestionKind(raw["kind"])
    options = [str(option) for option in raw.get("options") or []]
    other_label = DEFAULT_OTHER_LABEL
    if kind is QuestionKind.SEMI_CLOSED and options and library.is_other_label(options[-1]):
        other_label = options.pop()
    scale = raw.get("scale") or {}
    positive = set(raw.get("positive") or ())
    if kind is QuestionKind.SINGLE and not positive:
        positive = {option for option in options if option.strip().lower() == "так"}
    return QuestionSpec(
        kind=kind,
        text=_clean(raw["text"]),
        hint=_clean(raw.get("hint")),
        required=bool(raw.get("required", True)),
        options=options,
        positive=positive,
        scale_points=scale.get("points"),
        scale_labels=list(scale.get("labels") or []),
        other_label=other_label,
        allow_many=bool(raw.get("allow_many", True)),
    )


def copy_definition(
    actor, definition: dict, *, offer: SurveyOffer | None = None, title: str | None = None
) -> Questionnaire:
    """A new questionnaire of the current institution from a library definition;
    indicators are linked by code where the institution's catalog has them."""
    audience = SurveyAudience(definition["audience"])
    questionnaire = Questionnaire(
        title=title or definition["title"],
        audience=audience,
        introduction=_clean(definition.get("introduction")),
        school_year=school_year_of(today()),
        min_group_size=DEFAULT_MIN_GROUP_SIZE,
        expected_respondents=_expected_for(audience),
        library_key=definition["key"],
        offer_id=offer.id if offer else None,
        series_key=new_key(),
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(questionnaire)
    db.session.flush()
    codes = {
        code
        for section in definition["sections"]
        for raw in section["questions"]
        for code in raw.get("indicators") or ()
    }
    indicators = indicators_by_code(codes)
    linked = 0
    for section_index, raw_section in enumerate(definition["sections"]):
        section = SurveySection(
            questionnaire_id=questionnaire.id,
            position=section_index + 1,
            title=_clean(raw_section["title"]),
        )
        db.session.add(section)
        db.session.flush()
        for question_index, raw in enumerate(raw_section["questions"]):
            question = _new_question(
                questionnaire,
                section,
                spec_from_definition(raw),
                source_key=library.question_key(definition["key"], section_index, question_index),
            )
            question.position = question_index + 1
            for code in raw.get("indicators") or ():
                if code in indicators:
                    question.indicator_links.append(
                        SurveyIndicatorLink(catalog_item_id=indicators[code].id)
                    )
                    linked += 1
        db.session.flush()
    record(
        actor,
        "survey.copied",
        questionnaire,
        f"Створено анкету «{questionnaire.title}» з бібліотеки готових анкет"
        + (" (пропозиція засновника)" if offer else "")
        + f"; пов’язано з індикаторами: {linked}",
        library_key=definition["key"],
    )
    return questionnaire


def copy_library(actor, key: str) -> Questionnaire:
    definition = library.definition(key)
    if definition is None:
        raise DomainError("Такої анкети в бібліотеці немає.")
    return copy_definition(actor, definition)


def new_edition(actor, questionnaire: Questionnaire) -> Questionnaire:
    """A copy for another school year: same series, each question keeps its source."""
    year = max(school_year_of(today()), questionnaire.school_year + 1)
    edition = Questionnaire(
        title=questionnaire.title,
        audience=questionnaire.audience,
        introduction=questionnaire.introduction,
        school_year=year,
        min_group_size=questionnaire.min_group_size,
        expected_respondents=questionnaire.expected_respondents,
        library_key=questionnaire.library_key,
        offer_id=questionnaire.offer_id,
        previous_id=questionnaire.id,
        series_key=questionnaire.series_key,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(edition)
    db.session.flush()
    structure = load_structure(questionnaire.id)
    sections = {}
    for old_section in questionnaire.sections:
        section = SurveySection(
            questionnaire_id=edition.id, position=old_section.position, title=old_section.title
        )
        db.session.add(section)
        sections[old_section.id] = section
    db.session.flush()
    option_map = []
    for old in structure:
        question = SurveyQuestion(
            questionnaire_id=edition.id,
            section_id=sections[old.section_id].id,
            position=old.position,
            kind=old.kind,
            text=old.text,
            hint=old.hint,
            required=old.required,
            scale_points=old.scale_points,
            allow_many=old.allow_many,
            source_question_id=old.id,
            lineage_key=old.lineage_key,
            source_key=old.source_key,
        )
        question.options = [
            SurveyOption(
                position=option.position,
                label=option.label,
                value=option.value,
                positive=option.positive,
                is_other=option.is_other,
            )
            for option in old.options
        ]
        db.session.add(question)
        option_map.append((old, question))
    db.session.flush()
    old_links = db.session.scalars(
        select(SurveyIndicatorLink).where(
            SurveyIndicatorLink.question_id.in_([old.id for old in structure])
        )
    ).all()
    by_question = {old.id: (old, new) for old, new in option_map}
    for link in old_links:
        old, new = by_question[link.question_id]
        option_id = None
        if link.option_id is not None:
            index = [option.id for option in old.options].index(link.option_id)
            option_id = new.options[index].id
        db.session.add(
            SurveyIndicatorLink(
                question_id=new.id, option_id=option_id, catalog_item_id=link.catalog_item_id
            )
        )
    db.session.flush()
    record(
        actor,
        "survey.edition_created",
        edition,
        f"Створено нову редакцію анкети «{edition.title}» на {school_year_label(year)} н. р.",
        previous_id=questionnaire.id,
    )
    return edition


def offer_to_institutions(actor, key: str, note: str = "") -> SurveyOffer:
    """A founder offers a ready questionnaire: every institution gets its own copy."""
    definition = library.definition(key)
    if definition is None:
        raise DomainError("Такої анкети в бібліотеці немає.")
    offer = SurveyOffer(
        library_key=key,
        title=definition["title"],
        audience=SurveyAudience(definition["audience"]),
        note=_clean(note),
        definition=definition,
        offered_by_id=getattr(actor, "id", None),
    )
    db.session.add(offer)
    db.session.flush()
    record(
        actor,
        "survey.offered",
        offer,
        f"Засновник запропонував усім закладам анкету «{offer.title}»",
    )
    institutions = db.session.scalars(select(Institution).order_by(Institution.id)).all()
    for institution in institutions:
        with tenant_scope(db.session, Scope.for_institution(institution)):
            copy_definition(actor, offer.definition, offer=offer)
            db.session.flush()
    return offer


def take_offer(actor, offer: SurveyOffer) -> Questionnaire:
    """An institution that did not get the offered copy (added later) takes it now."""
    taken = db.session.scalar(select(Questionnaire.id).where(Questionnaire.offer_id == offer.id))
    if taken is not None:
        raise DomainError("Заклад уже має копію цієї анкети.")
    return copy_definition(actor, offer.definition, offer=offer)


# Publishing and collection points.


def state(questionnaire: Questionnaire, day: date | None = None) -> str:
    """draft, scheduled, open or closed."""
    day = day or today()
    if not questionnaire.is_published:
        return "draft"
    if questionnaire.opens_on and day < questionnaire.opens_on:
        return "scheduled"
    if questionnaire.closes_on and day > questionnaire.closes_on:
        return "closed"
    return "open"


STATE_LABELS = {
    "draft": "чернетка",
    "scheduled": "опубліковано, ще не розпочато",
    "open": "триває збір відповідей",
    "closed": "збір завершено",
}


def publish(actor, questionnaire: Questionnaire, opens_on: date, closes_on: date) -> SurveyLink:
    if closes_on < opens_on:
        raise DomainError("Дата завершення не може бути раніше за дату початку.")
    structure = load_structure(questionnaire.id)
    if not structure:
        raise DomainError("Додайте до анкети хоча б одне питання.")
    first = not questionnaire.is_published
    if first:
        questionnaire.published_at = utcnow()
    if questionnaire.expected_respondents is None:
        questionnaire.expected_respondents = _expected_for(questionnaire.audience)
    questionnaire.opens_on = opens_on
    questionnaire.closes_on = closes_on
    link = db.session.scalar(
        select(SurveyLink)
        .where(SurveyLink.questionnaire_id == questionnaire.id, SurveyLink.group_id.is_(None))
        .order_by(SurveyLink.id)
        .limit(1)
    )
    if link is None:
        link = _new_link(questionnaire, None, questionnaire.audience)
    _flush()
    record(
        actor,
        "survey.published" if first else "survey.dates_changed",
        questionnaire,
        f"{'Опубліковано' if first else 'Змінено терміни'} анкети «{questionnaire.title}»: "
        f"{opens_on:%d.%m.%Y}–{closes_on:%d.%m.%Y}",
    )
    return link


def close_now(actor, questionnaire: Questionnaire) -> None:
    if state(questionnaire) not in ("open", "scheduled"):
        raise DomainError("Збір відповідей на цю анкету зараз не триває.")
    yesterday = date.fromordinal(today().toordinal() - 1)
    questionnaire.closes_on = yesterday
    if questionnaire.opens_on and questionnaire.opens_on > yesterday:
        questionnaire.opens_on = yesterday
    _flush()
    record(actor, "survey.closed", questionnaire, f"Завершено збір анкети «{questionnaire.title}»")


def _new_link(questionnaire, group: SurveyGroup | None, audience: SurveyAudience) -> SurveyLink:
    link = SurveyLink(
        questionnaire_id=questionnaire.id,
        token=secrets.token_urlsafe(16),
        group_id=group.id if group else None,
        audience=audience,
    )
    db.session.add(link)
    return link


def add_link(
    actor, questionnaire: Questionnaire, group: SurveyGroup | None, audience: SurveyAudience
) -> SurveyLink:
    if not questionnaire.is_published:
        raise DomainError("Спершу опублікуйте анкету.")
    link = _new_link(questionnaire, group, audience)
    db.session.flush()
    record(
        actor,
        "survey.link_added",
        questionnaire,
        f"Створено посилання на анкету «{questionnaire.title}»"
        + (f" для групи «{group.name}»" if group else " для всіх")
        + f" ({audience.label})",
    )
    return link


def deactivate_link(actor, link: SurveyLink) -> None:
    link.active = False
    db.session.flush()
    record(
        actor,
        "survey.link_deactivated",
        link.questionnaire,
        f"Вимкнено посилання на анкету «{link.questionnaire.title}»",
    )


def normalise_code(text: str) -> str:
    return "".join(char for char in (text or "").upper() if char.isalnum())[:CODE_LENGTH]


def format_code(code: str) -> str:
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def generate_codes(
    actor, questionnaire: Questionnaire, count: int, group: SurveyGroup | None
) -> int:
    """A sheet of printable single-use codes; returns its batch number."""
    if not questionnaire.is_published:
        raise DomainError("Спершу опублікуйте анкету.")
    if not 1 <= count <= MAX_CODES_PER_SHEET:
        raise DomainError(f"За один раз можна створити від 1 до {MAX_CODES_PER_SHEET} кодів.")
    batch = _next_batch(questionnaire)
    codes = set()
    while len(codes) < count:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        # A digit in every code: a printed code never reads as a word.
        if any(char.isdigit() for char in code):
            codes.add(code)
    db.session.execute(
        insert(SurveyCode.__table__),
        [
            {
                "institution_id": questionnaire.institution_id,
                "questionnaire_id": questionnaire.id,
                "code": code,
                "group_id": group.id if group else None,
                "batch": batch,
                "spent": False,
            }
            for code in sorted(codes)
        ],
    )
    record(
        actor,
        "survey.codes_generated",
        questionnaire,
        f"Створено {count} одноразових кодів до анкети «{questionnaire.title}»"
        + (f" для групи «{group.name}»" if group else ""),
        batch=batch,
    )
    return batch


def _next_batch(questionnaire: Questionnaire) -> int:
    return (
        db.session.scalar(
            select(func.max(SurveyCode.batch)).where(
                SurveyCode.questionnaire_id == questionnaire.id
            )
        )
        or 0
    ) + 1


# Groups.


def save_group(actor, group: SurveyGroup | None, data: dict, version=None) -> SurveyGroup:
    name = _clean(data["name"])
    clash = db.session.scalar(
        select(SurveyGroup.id).where(
            SurveyGroup.name == name, SurveyGroup.id != (group.id if group else -1)
        )
    )
    if clash:
        raise DomainError("Група з такою назвою вже є.")
    if group is None:
        group = SurveyGroup(
            name=name,
            expected_respondents=data.get("expected_respondents"),
            position=_next_position(SurveyGroup),
        )
        db.session.add(group)
        action, summary = "survey.group_added", f"Додано групу «{name}»"
    else:
        check_version(group, version)
        group.name = name
        group.expected_respondents = data.get("expected_respondents")
        action, summary = "survey.group_updated", f"Змінено групу «{name}»"
    _flush()
    touch()
    record(actor, action, group, summary)
    return group


def delete_group(actor, group: SurveyGroup) -> None:
    used = db.session.scalar(
        select(
            exists().where(SurveyResponse.group_id == group.id)
            | exists().where(SurveyLink.group_id == group.id)
            | exists().where(SurveyCode.group_id == group.id)
        )
    )
    if used:
        raise DomainError(
            "Для цієї групи вже є посилання, коди або відповіді, тому її не можна видалити."
        )
    name = group.name
    db.session.delete(group)
    db.session.flush()
    touch()
    record(actor, "survey.group_deleted", None, f"Видалено групу «{name}»")


# Storing a response and keeping the tally.


@dataclass
class Answer:
    """A valid answer to one question, ready to store."""

    question: SurveyQuestion
    options: list[SurveyOption] = field(default_factory=list)
    text: str | None = None
    other_text: str | None = None


class DuplicateSubmission(Exception):
    """The same form (its submission key) was already stored."""


def store_response(
    questionnaire: Questionnaire,
    answers: list[Answer],
    *,
    channel: Channel,
    audience: SurveyAudience,
    group_id: int | None,
    submission_key: str | None = None,
    on: date | None = None,
) -> SurveyResponse:
    """Insert one anonymous response with its answers and add it to the tally
    (three statements, whatever the number of questions)."""
    day = on or today()
    response = SurveyResponse(
        questionnaire_id=questionnaire.id,
        submitted_on=day,
        school_year=school_year_of(day),
        channel=channel,
        audience=audience,
        group_id=group_id,
        submission_key=submission_key,
    )
    db.session.add(response)
    try:
        with db.session.begin_nested():
            db.session.flush([response])
    except IntegrityError as error:
        raise DuplicateSubmission() from error
    rows = []
    base = {
        "institution_id": questionnaire.institution_id,
        "response_id": response.id,
        "questionnaire_id": questionnaire.id,
    }
    for answer in answers:
        question_id = answer.question.id
        if answer.question.kind is QuestionKind.OPEN:
            rows.append(
                base
                | {
                    "question_id": question_id,
                    "option_id": None,
                    "value": None,
                    "text": answer.text,
                    "search_text": answer.text.casefold(),
                }
            )
            continue
        for option in answer.options:
            rows.append(
                base
                | {
                    "question_id": question_id,
                    "option_id": option.id,
                    "value": option.value,
                    "text": answer.other_text if option.is_other else None,
                    "search_text": answer.other_text.casefold()
                    if option.is_other and answer.other_text
                    else None,
                }
            )
    if rows:
        db.session.execute(insert(SurveyAnswer.__table__), rows)
    touch(questionnaire.id)
    _add_to_tally(questionnaire, response, answers)
    return response


def tally_increments(answers: list[Answer]) -> dict[tuple[int, int], tuple[int, int]]:
    """(question, option) → (count, value sum) one response adds."""
    found = {(WHOLE_RESPONSE, ANSWERED): (1, 0)}
    for answer in answers:
        question_id = answer.question.id
        value = sum(option.value or 0 for option in answer.options)
        found[(question_id, ANSWERED)] = (1, value)
        if any(option.positive for option in answer.options):
            found[(question_id, POSITIVE)] = (1, 0)
        for option in answer.options:
            found[(question_id, option.id)] = (1, option.value or 0)
    return found


def _add_to_tally(questionnaire, response: SurveyResponse, answers: list[Answer]) -> None:
    dims = {
        "institution_id": questionnaire.institution_id,
        "questionnaire_id": questionnaire.id,
        "group_id": response.group_id or 0,
        "audience": response.audience.value,
        "school_year": response.school_year,
        "channel": response.channel.value,
    }
    rows = [
        dims
        | {
            "question_id": question_id,
            "option_id": option_id,
            "count": count,
            "value_sum": value_sum,
        }
        for (question_id, option_id), (count, value_sum) in sorted(
            tally_increments(answers).items()
        )
    ]
    upsert_tally(rows)


TALLY_KEY = (
    "questionnaire_id",
    "question_id",
    "option_id",
    "group_id",
    "audience",
    "school_year",
    "channel",
)


def upsert_tally(rows: list[dict]) -> None:
    """Add counts atomically (INSERT … ON CONFLICT DO UPDATE), in key order so that
    concurrent submissions lock rows in the same order (no deadlocks)."""
    if not rows:
        return
    table = SurveyTally.__table__
    dialect = db.session.get_bind().dialect.name
    statement = (sqlite_insert if dialect == "sqlite" else pg_insert)(table)
    statement = statement.on_conflict_do_update(
        index_elements=list(TALLY_KEY),
        set_={
            "count": table.c.count + statement.excluded.count,
            "value_sum": table.c.value_sum + statement.excluded.value_sum,
        },
        # The tenancy check refuses an upsert that could update another tenant's row.
        where=table.c.institution_id == statement.excluded.institution_id,
    )
    db.session.execute(statement, rows)


def rebuild_tally(questionnaire: Questionnaire) -> int:
    """Recount the tally of ``questionnaire`` from its answers (after bulk loads or a
    change of positive options): four GROUP BY queries and one insert."""
    touch(questionnaire.id)
    db.session.execute(
        delete(SurveyTally).where(SurveyTally.questionnaire_id == questionnaire.id),
        execution_options={"synchronize_session": False},
    )
    response = SurveyResponse
    answer = SurveyAnswer
    dims = (
        func.coalesce(response.group_id, 0),
        response.audience,
        response.school_year,
        response.channel,
    )
    for_questionnaire = response.questionnaire_id == questionnaire.id
    rows = []

    def add(question_id, option_id, group_id, audience, year, channel, count, value_sum):
        rows.append(
            {
                "institution_id": questionnaire.institution_id,
                "questionnaire_id": questionnaire.id,
                "question_id": question_id,
                "option_id": option_id,
                "group_id": group_id,
                "audience": getattr(audience, "value", audience),
                "school_year": year,
                "channel": getattr(channel, "value", channel),
                "count": count,
                "value_sum": int(value_sum or 0),
            }
        )

    for group_id, audience, year, channel, count in db.session.execute(
        select(*dims, func.count(response.id)).where(for_questionnaire).group_by(*dims)
    ):
        add(WHOLE_RESPONSE, ANSWERED, group_id, audience, year, channel, count, 0)
    joined = select().select_from(answer).join(response, response.id == answer.response_id)
    for question_id, group_id, audience, year, channel, count, value_sum in db.session.execute(
        joined.add_columns(
            answer.question_id,
            *dims,
            func.count(func.distinct(answer.response_id)),
            func.sum(answer.value),
        )
        .where(for_questionnaire)
        .group_by(answer.question_id, *dims)
    ):
        add(question_id, ANSWERED, group_id, audience, year, channel, count, value_sum)
    for question_id, group_id, audience, year, channel, count in db.session.execute(
        joined.join(SurveyOption, SurveyOption.id == answer.option_id)
        .add_columns(answer.question_id, *dims, func.count(func.distinct(answer.response_id)))
        .where(for_questionnaire, SurveyOption.positive.is_(True))
        .group_by(answer.question_id, *dims)
    ):
        add(question_id, POSITIVE, group_id, audience, year, channel, count, 0)
    for (
        question_id,
        option_id,
        group_id,
        audience,
        year,
        channel,
        count,
        value_sum,
    ) in db.session.execute(
        joined.add_columns(
            answer.question_id,
            answer.option_id,
            *dims,
            func.count(answer.id),
            func.sum(answer.value),
        )
        .where(for_questionnaire, answer.option_id.is_not(None))
        .group_by(answer.question_id, answer.option_id, *dims)
    ):
        add(question_id, option_id, group_id, audience, year, channel, count, value_sum)
    if rows:
        db.session.execute(insert(SurveyTally.__table__), rows)
    return len(rows)


def spend_code(code: SurveyCode) -> bool:
    """Mark a code spent exactly once (a concurrent second use finds it spent)."""
    result = db.session.execute(
        update(SurveyCode)
        .where(SurveyCode.id == code.id, SurveyCode.spent.is_(False))
        .values(spent=True),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount == 1


def record_paper_entry(actor, questionnaire: Questionnaire) -> None:
    """Who typed in a paper questionnaire, and when: not which response it was."""
    record(
        actor,
        "survey.paper_entered",
        questionnaire,
        f"Внесено паперову анкету «{questionnaire.title}»",
    )
