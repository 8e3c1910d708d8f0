"""The institution's internal quality system (ВСЗЯО) as tenant data.

Components with their policies and procedures, the quality policy with its
orientations, the features of the institution, the level scale (versioned,
old versions immutable), the self-assessment model with its multi-year plan,
and the annual work plan and development programme self-assessment is tied to.
Wording of the defaults follows the seed (ДСЯО recommendations of 30.11.2020).
"""

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from dozq.db import Timestamped, UTCDateTime, Versioned, db
from dozq.tenancy.scope import InstitutionOwned

CENT = Decimal("0.01")


def to_score(value) -> Decimal:
    """A score as the scale keeps it: a Decimal with two places, rounded half up."""
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class Hundredths(TypeDecorator):
    """A score with two decimal places, stored exactly as an integer of hundredths
    (SQLite has no exact decimal type)."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return int(to_score(value) * 100)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return (Decimal(value) / 100).quantize(CENT)


class StatutoryComponent(StrEnum):
    """The seven components of part 3 of art. 41 of the Law «Про освіту»."""

    POLICY = "policy"
    INTEGRITY = "integrity"
    TEACHER_ASSESSMENT = "teacher_assessment"
    MANAGEMENT_ASSESSMENT = "management_assessment"
    RESOURCES = "resources"
    INFORMATION_SYSTEMS = "information_systems"
    INCLUSION = "inclusion"

    @property
    def title(self) -> str:
        return STATUTORY_COMPONENT_TITLES[self]


#: Worded as the seed lists them, in its order.
STATUTORY_COMPONENT_TITLES = {
    StatutoryComponent.POLICY: "Стратегія (політика) та процедури забезпечення якості освіти",
    StatutoryComponent.INTEGRITY: "Система та механізми забезпечення академічної доброчесності",
    StatutoryComponent.TEACHER_ASSESSMENT: (
        "Оприлюднені критерії, правила і процедури оцінювання педагогічної діяльності "
        "педагогічних працівників"
    ),
    StatutoryComponent.MANAGEMENT_ASSESSMENT: (
        "Оприлюднені критерії, правила і процедури оцінювання управлінської діяльності "
        "керівних працівників закладу освіти"
    ),
    StatutoryComponent.RESOURCES: (
        "Забезпечення наявності необхідних ресурсів для організації освітнього процесу"
    ),
    StatutoryComponent.INFORMATION_SYSTEMS: (
        "Забезпечення наявності інформаційних систем для ефективного управління закладом освіти"
    ),
    StatutoryComponent.INCLUSION: (
        "Створення в закладі освіти інклюзивного освітнього середовища, універсального дизайну "
        "та розумного пристосування (у разі потреби)"
    ),
}


class ResponsibleRole(StrEnum):
    """Who carries out a measure, when it is a role rather than a named person."""

    DIRECTOR = "director"
    METHODOLOGIST = "methodologist"
    TEACHERS = "teachers"
    PSYCHOLOGIST = "psychologist"
    MEDICAL = "medical"
    STAFF = "staff"
    COUNCIL = "council"
    WORKING_GROUP = "working_group"
    SUPPORT_TEAM = "support_team"
    PARENTS = "parents"

    @property
    def label(self) -> str:
        return RESPONSIBLE_ROLE_LABELS[self]


RESPONSIBLE_ROLE_LABELS = {
    ResponsibleRole.DIRECTOR: "керівник закладу",
    ResponsibleRole.METHODOLOGIST: "вихователь-методист",
    ResponsibleRole.TEACHERS: "педагогічні працівники",
    ResponsibleRole.PSYCHOLOGIST: "практичний психолог",
    ResponsibleRole.MEDICAL: "медичні працівники",
    ResponsibleRole.STAFF: "інші працівники закладу",
    ResponsibleRole.COUNCIL: "педагогічна рада",
    ResponsibleRole.WORKING_GROUP: "робоча група (група моніторингу)",
    ResponsibleRole.SUPPORT_TEAM: "команда психолого-педагогічного супроводу",
    ResponsibleRole.PARENTS: "батьки (законні представники)",
}


class QualityComponent(InstitutionOwned, Timestamped, Versioned, db.Model):
    """Компонент внутрішньої системи: statutory (cannot be deleted) or the institution's own."""

    __tablename__ = "quality_component"
    __table_args__ = (UniqueConstraint("institution_id", "statutory_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    #: Set for the seven statutory components; None for the institution's own.
    statutory_key: Mapped[StatutoryComponent | None] = mapped_column(
        db.Enum(StatutoryComponent, native_enum=False, length=40)
    )
    title: Mapped[str] = mapped_column(String(400))
    #: Опис: what the component means in this institution.
    description: Mapped[str] = mapped_column(Text, default="")
    #: Політики: the principles the component is formed by.
    policies: Mapped[str] = mapped_column(Text, default="")

    measures: Mapped[list["QualityMeasure"]] = relationship(
        back_populates="component",
        order_by=lambda: [QualityMeasure.position, QualityMeasure.id],
        cascade="all, delete-orphan",
    )

    @property
    def is_statutory(self) -> bool:
        return self.statutory_key is not None


class QualityMeasure(InstitutionOwned, Timestamped, Versioned, db.Model):
    """Захід процедури: one step of the ordered procedure that makes a component work."""

    __tablename__ = "quality_measure"

    id: Mapped[int] = mapped_column(primary_key=True)
    component_id: Mapped[int] = mapped_column(
        ForeignKey("quality_component.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    #: Що робиться.
    action: Mapped[str] = mapped_column(Text)
    #: Хто: a role …
    responsible_role: Mapped[ResponsibleRole | None] = mapped_column(
        db.Enum(ResponsibleRole, native_enum=False, length=40)
    )
    #: … and/or a named person.
    responsible_person: Mapped[str] = mapped_column(String(200), default="")
    #: Коли / як часто: «щороку у вересні», «щокварталу».
    timing: Mapped[str] = mapped_column(String(200), default="")
    #: Який документ: «наказ», «протокол педагогічної ради», «аналітична довідка».
    document: Mapped[str] = mapped_column(String(300), default="")

    component: Mapped[QualityComponent] = relationship(back_populates="measures")

    @property
    def responsible(self) -> str:
        """Role and person as one phrase, for lists and documents."""
        parts = [self.responsible_role.label] if self.responsible_role else []
        if self.responsible_person:
            parts.append(self.responsible_person)
        return ", ".join(parts)


#: The main goal of the policy as the seed states it.
DEFAULT_POLICY_GOAL = (
    "Гарантувати якість дошкільної освіти та формувати довіру суспільства до закладу "
    "дошкільної освіти."
)

#: What the policy is oriented at, worded as the seed lists it.
DEFAULT_ORIENTATIONS = (
    "Партнерство у розвитку, навчанні та вихованні дітей, а також професійній взаємодії",
    "Недискримінацію, запобігання та протидію булінгу (цькуванню)",
    "Прозорість та інформаційну відкритість діяльності закладу дошкільної освіти",
    "Сприяння безперервному професійному зростанню педагогічних працівників",
    "Справедливе та об'єктивне оцінювання професійної діяльності педагогічних працівників",
    "Створення сприятливих умов для формування особистісної зрілості дитини, її базових якостей",
    "Забезпечення академічної свободи педагогічних працівників",
)


class QualityPolicy(InstitutionOwned, Timestamped, Versioned, db.Model):
    """Стратегія (політика) забезпечення якості освіти: one per institution."""

    __tablename__ = "quality_policy"
    __table_args__ = (UniqueConstraint("institution_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Основна мета.
    goal: Mapped[str] = mapped_column(Text, default="")


class QualityOrientation(InstitutionOwned, Timestamped, Versioned, db.Model):
    """Орієнтир політики: the seed's seven (kept, rewordable) and the institution's own."""

    __tablename__ = "quality_orientation"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    #: One of the seed's orientations: may be reworded, not removed.
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)


class SettlementType(StrEnum):
    CITY = "city"
    TOWN = "town"
    VILLAGE = "village"
    OTHER = "other"

    @property
    def label(self) -> str:
        return SETTLEMENT_LABELS[self]


SETTLEMENT_LABELS = {
    SettlementType.CITY: "місто",
    SettlementType.TOWN: "селище",
    SettlementType.VILLAGE: "село",
    SettlementType.OTHER: "інше",
}


class Audience(StrEnum):
    """Who a questionnaire or observation addresses, for expected counts."""

    PARENTS = "parents"
    TEACHERS = "teachers"
    STAFF = "staff"
    ALL_STAFF = "all_staff"
    GROUPS = "groups"


class InstitutionFeatures(InstitutionOwned, Timestamped, Versioned, db.Model):
    """Особливості закладу the seed says to take into account (one row per institution)."""

    __tablename__ = "institution_features"
    __table_args__ = (UniqueConstraint("institution_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Місцезнаходження: місто, селище, село.
    settlement_type: Mapped[SettlementType | None] = mapped_column(
        db.Enum(SettlementType, native_enum=False, length=20)
    )
    #: Розташування in words: district, neighbourhood, conditions.
    location: Mapped[str] = mapped_column(String(300), default="")
    #: Особливості педагогічного колективу.
    staff_features: Mapped[str] = mapped_column(Text, default="")
    group_count: Mapped[int | None] = mapped_column(Integer)
    child_count: Mapped[int | None] = mapped_column(Integer)
    #: Педагогічних працівників.
    teacher_count: Mapped[int | None] = mapped_column(Integer)
    #: Інших працівників (помічники вихователів, медичні, технічні).
    other_staff_count: Mapped[int | None] = mapped_column(Integer)
    #: Мова освітнього процесу.
    education_language: Mapped[str] = mapped_column(String(100), default="")
    #: Режим роботи: «10,5 год, п'ятиденний робочий тиждень».
    operating_mode: Mapped[str] = mapped_column(String(300), default="")

    def expected_respondents(self, audience: Audience) -> int | None:
        """How many answers a questionnaire for ``audience`` can expect at most;
        None while the count is not filled in. Parents: one per child."""
        if audience == Audience.PARENTS:
            return self.child_count
        if audience == Audience.TEACHERS:
            return self.teacher_count
        if audience == Audience.STAFF:
            return self.other_staff_count
        if audience == Audience.GROUPS:
            return self.group_count
        if self.teacher_count is None or self.other_staff_count is None:
            return None
        return self.teacher_count + self.other_staff_count


class LevelColour(StrEnum):
    """The fixed accessible palette (CSS classes of dozq.css, WCAG AA)."""

    GREEN = "level-1"
    TEAL = "level-2"
    YELLOW = "level-3"
    RED = "level-4"

    @property
    def label(self) -> str:
        return LEVEL_COLOUR_LABELS[self]


LEVEL_COLOUR_LABELS = {
    LevelColour.GREEN: "зелений",
    LevelColour.TEAL: "бірюзовий",
    LevelColour.YELLOW: "жовтий",
    LevelColour.RED: "червоний",
}


class Aggregation(StrEnum):
    MEAN = "mean"

    @property
    def label(self) -> str:
        return "середнє арифметичне (індикатори → критерії → вимоги → напрями)"


class LevelScale(InstitutionOwned, Timestamped, db.Model):
    """Шкала рівнів, one version of it. A change creates a new version; rows are never
    updated (ratings keep the version they were made with). The newest is current."""

    __tablename__ = "level_scale"
    __table_args__ = (UniqueConstraint("institution_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Версія: 1, 2, … within the institution.
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    #: Numeric scores run from min_score to max_score; higher is better.
    min_score: Mapped[Decimal] = mapped_column(Hundredths)
    max_score: Mapped[Decimal] = mapped_column(Hundredths)
    #: How scores go up the hierarchy.
    aggregation: Mapped[Aggregation] = mapped_column(
        db.Enum(Aggregation, native_enum=False, length=20), default=Aggregation.MEAN
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    levels: Mapped[list["ScaleLevel"]] = relationship(
        back_populates="scale", order_by="ScaleLevel.rank", passive_deletes=True
    )
    created_by: Mapped["User | None"] = relationship()  # noqa: F821

    def bands(self) -> list[tuple["ScaleLevel", Decimal, Decimal]]:
        """Each level with the lowest and highest score (two places) it covers."""
        bands, high = [], self.max_score
        for level in sorted(self.levels, key=lambda level: level.rank):
            bands.append((level, level.min_score, high))
            high = level.min_score - CENT
        return bands


class ScaleLevel(InstitutionOwned, db.Model):
    """Рівень of one scale version; rank 1 is the top band."""

    __tablename__ = "scale_level"
    __table_args__ = (UniqueConstraint("scale_id", "rank"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scale_id: Mapped[int] = mapped_column(
        ForeignKey("level_scale.id", ondelete="CASCADE"), index=True
    )
    rank: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    colour: Mapped[LevelColour] = mapped_column(db.Enum(LevelColour, native_enum=False, length=20))
    #: Поріг: the lowest score of this level, inclusive; the lowest level starts at the
    #: scale's minimum.
    min_score: Mapped[Decimal] = mapped_column(Hundredths)

    scale: Mapped[LevelScale] = relationship(back_populates="levels")


class ImmutableScaleError(RuntimeError):
    """A level scale version was about to be changed after it was saved."""


@event.listens_for(LevelScale, "before_update")
@event.listens_for(ScaleLevel, "before_update")
@event.listens_for(LevelScale, "before_delete")
@event.listens_for(ScaleLevel, "before_delete")
def _refuse_changing_a_scale_version(mapper, connection, target) -> None:
    raise ImmutableScaleError("Збережену версію шкали рівнів змінювати не можна.")


DEFAULT_SCALE_TITLE = "Чотири рівні за методичними рекомендаціями (2020)"

#: (name, description, colour, lowest score) from the top level down, on a 1–4 scale.
DEFAULT_LEVELS = (
    (
        "перший (високий)",
        "Вимогу виконано повністю; практика закладу стала й може бути прикладом для інших.",
        LevelColour.GREEN,
        Decimal("3.60"),
    ),
    (
        "другий (достатній)",
        "Вимогу здебільшого виконано; є окремі недоліки, які заклад може усунути сам.",
        LevelColour.TEAL,
        Decimal("2.60"),
    ),
    (
        "третій (вимагає покращення)",
        "Вимогу виконано частково; потрібні управлінські рішення та план покращення.",
        LevelColour.YELLOW,
        Decimal("1.60"),
    ),
    (
        "четвертий (низький)",
        "Вимогу не виконано або виконано формально; потрібні невідкладні зміни.",
        LevelColour.RED,
        Decimal("1.00"),
    ),
)
DEFAULT_MIN_SCORE = Decimal("1.00")
DEFAULT_MAX_SCORE = Decimal("4.00")


#: The four official directions, worded as in the seed.
DIRECTIONS = {
    1: "Освітнє середовище закладу дошкільної освіти",
    2: (
        "Здобувачі дошкільної освіти. Забезпечення всебічного розвитку дитини дошкільного "
        "віку, набуття нею життєвого соціального досвіду"
    ),
    3: "Фахова діяльність педагогічних працівників закладу дошкільної освіти",
    4: "Управлінські процеси закладу дошкільної освіти",
}


class ModelKind(StrEnum):
    """Модель самооцінювання, as the seed lists them."""

    ANNUAL_COMPREHENSIVE = "annual_comprehensive"
    ANNUAL_TARGETED = "annual_targeted"
    PROGRAMME_COMPREHENSIVE = "programme_comprehensive"
    OWN = "own"

    @property
    def label(self) -> str:
        return MODEL_KIND_LABELS[self]


MODEL_KIND_LABELS = {
    ModelKind.ANNUAL_COMPREHENSIVE: "Щорічне комплексне самооцінювання",
    ModelKind.ANNUAL_TARGETED: (
        "Щорічне самооцінювання за окремими напрямами та періодичне комплексне "
        "самооцінювання перед щорічним звітуванням керівника"
    ),
    ModelKind.PROGRAMME_COMPREHENSIVE: (
        "Комплексне самооцінювання перед розробленням програми розвитку (як правило, "
        "раз на 3–5 років)"
    ),
    ModelKind.OWN: "Інша модель, визначена закладом",
}


class SelfAssessmentModel(InstitutionOwned, Timestamped, Versioned, db.Model):
    """The institution's self-assessment model and the period of its multi-year plan
    (one row per institution; saving the plan grid bumps its version too)."""

    __tablename__ = "self_assessment_model"
    __table_args__ = (UniqueConstraint("institution_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ModelKind] = mapped_column(db.Enum(ModelKind, native_enum=False, length=40))
    #: Опис: required for the institution's own model, optional otherwise.
    description: Mapped[str] = mapped_column(Text, default="")
    #: За блоковою системою: assess by the sections of the annual work plan.
    block_system: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Every how many years a comprehensive self-assessment takes place.
    comprehensive_every: Mapped[int] = mapped_column(Integer, default=5)
    #: The multi-year plan: first school year (2025 = 2025/2026) and its length.
    plan_start_year: Mapped[int] = mapped_column(Integer)
    plan_years: Mapped[int] = mapped_column(Integer, default=5)
    plan_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def plan_school_years(self) -> list[int]:
        return list(range(self.plan_start_year, self.plan_start_year + self.plan_years))


class SelfAssessmentPlanEntry(InstitutionOwned, db.Model):
    """One cell of the multi-year plan: a direction assessed in a school year."""

    __tablename__ = "self_assessment_plan_entry"
    __table_args__ = (UniqueConstraint("institution_id", "school_year", "direction"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The year the school year starts in: 2025 is 2025/2026.
    school_year: Mapped[int] = mapped_column(Integer)
    #: 1–4, see DIRECTIONS.
    direction: Mapped[int] = mapped_column(Integer)


def school_year_label(start_year: int) -> str:
    return f"{start_year}/{start_year + 1}"


class AnnualPlan(InstitutionOwned, Timestamped, Versioned, db.Model):
    """План роботи закладу на навчальний рік та літній період; its sections allow
    self-assessment «за блоковою системою»."""

    __tablename__ = "annual_plan"
    __table_args__ = (UniqueConstraint("institution_id", "school_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    #: Схвалення / затвердження in words: «схвалено педагогічною радою, протокол № 1 …».
    approval: Mapped[str] = mapped_column(String(300), default="")

    sections: Mapped[list["AnnualPlanSection"]] = relationship(
        back_populates="plan",
        order_by=lambda: [AnnualPlanSection.position, AnnualPlanSection.id],
        cascade="all, delete-orphan",
    )

    @property
    def school_year_label(self) -> str:
        return school_year_label(self.school_year)


class AnnualPlanSection(InstitutionOwned, Timestamped, Versioned, db.Model):
    """Розділ плану роботи, in the plan's order."""

    __tablename__ = "annual_plan_section"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("annual_plan.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))

    plan: Mapped[AnnualPlan] = relationship(back_populates="sections")


class DevelopmentProgramme(InstitutionOwned, Timestamped, Versioned, db.Model):
    """Програма (стратегія) розвитку закладу, usually for 3–5 years."""

    __tablename__ = "development_programme"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    #: Calendar years, inclusive: 2026–2028.
    start_year: Mapped[int] = mapped_column(Integer)
    end_year: Mapped[int] = mapped_column(Integer)
    #: Мета та завдання.
    goals: Mapped[str] = mapped_column(Text, default="")

    @property
    def period_label(self) -> str:
        return f"{self.start_year}–{self.end_year}"
