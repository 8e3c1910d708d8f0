"""Self-assessment cycles (самооцінювання) as tenant data.

A cycle is planned (model, period, scope, working group, methods per indicator,
schedule), collects evidence, generalises and rates it, is discussed (the
pedagogical council and others), published, and leads to management decisions.
Its status moves only along ``TRANSITIONS``; every move is a ``CycleTransition``
row (who, when) besides the audit entry.

Evidence is one table for every method (``Evidence``): an observation, a study
of documents, an interview or focus group, an external monitoring result, the
results of one of the institution's internal monitoring programmes or a staff
member's note. The columns only one kind uses are nullable; the rows a
kind has many of live in child tables (checklist answers, observers, files).
All of an indicator's evidence is therefore one query, whatever the method.

Checklist marks (observation and document study) use a four-point scale,
``MARKS``: 3 — так, повною мірою; 2 — здебільшого; 1 — частково; 0 — ні;
no mark — не спостерігалося (not counted).

``PedagogicalCouncilMeeting`` is general: other areas (the regulation's
approval) link to it; a cycle refers to its meetings through ``CycleDiscussion``.
"""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dozq.catalog.models import CatalogItem, InstitutionCatalog, Method
from dozq.db import Timestamped, UTCDateTime, Versioned, db, utcnow
from dozq.files.models import StoredFile
from dozq.publication.models import MonitoringProgramme
from dozq.quality_system.models import (
    AnnualPlanSection,
    DevelopmentProgramme,
    Hundredths,
    LevelScale,
    ModelKind,
    QualityComponent,
    QualityMeasure,
    ScaleLevel,
)
from dozq.tenancy.scope import FounderOwned, InstitutionOwned


def _enum(enum, length: int = 30):
    return db.Enum(enum, native_enum=False, length=length, validate_strings=True)


# The cycle and its plan.


class CycleStatus(StrEnum):
    PLANNED = "planned"
    COLLECTING = "collecting"
    GENERALISING = "generalising"
    RATING = "rating"
    DISCUSSED = "discussed"
    PUBLISHED = "published"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def badge(self) -> str:
        return STATUS_BADGES[self]


STATUS_LABELS = {
    CycleStatus.PLANNED: "заплановано",
    CycleStatus.COLLECTING: "збір інформації",
    CycleStatus.GENERALISING: "узагальнення",
    CycleStatus.RATING: "визначення рівнів",
    CycleStatus.DISCUSSED: "обговорено",
    CycleStatus.PUBLISHED: "оприлюднено",
    CycleStatus.CLOSED: "завершено",
}

STATUS_BADGES = {
    CycleStatus.PLANNED: "badge-muted",
    CycleStatus.COLLECTING: "badge-info",
    CycleStatus.GENERALISING: "badge-info",
    CycleStatus.RATING: "badge-warning",
    CycleStatus.DISCUSSED: "badge-success",
    CycleStatus.PUBLISHED: "badge-success",
    CycleStatus.CLOSED: "badge-muted",
}

#: Allowed moves: forward one step; back one step while the work is still open
#: (more evidence is needed, a rating is reconsidered).
TRANSITIONS = {
    CycleStatus.PLANNED: (CycleStatus.COLLECTING,),
    CycleStatus.COLLECTING: (CycleStatus.GENERALISING,),
    CycleStatus.GENERALISING: (CycleStatus.RATING, CycleStatus.COLLECTING),
    CycleStatus.RATING: (CycleStatus.DISCUSSED, CycleStatus.GENERALISING),
    CycleStatus.DISCUSSED: (CycleStatus.PUBLISHED,),
    CycleStatus.PUBLISHED: (CycleStatus.CLOSED,),
    CycleStatus.CLOSED: (),
}

#: The words on the button that makes each move.
TRANSITION_LABELS = {
    (CycleStatus.PLANNED, CycleStatus.COLLECTING): "Розпочати самооцінювання",
    (CycleStatus.COLLECTING, CycleStatus.GENERALISING): "Перейти до узагальнення",
    (CycleStatus.GENERALISING, CycleStatus.RATING): "Перейти до визначення рівнів",
    (CycleStatus.GENERALISING, CycleStatus.COLLECTING): "Повернутися до збору інформації",
    (CycleStatus.RATING, CycleStatus.DISCUSSED): "Позначити як обговорене",
    (CycleStatus.RATING, CycleStatus.GENERALISING): "Повернутися до узагальнення",
    (CycleStatus.DISCUSSED, CycleStatus.PUBLISHED): "Позначити як оприлюднене",
    (CycleStatus.PUBLISHED, CycleStatus.CLOSED): "Завершити цикл",
}

#: Statuses in which evidence is collected.
COLLECTING_STATUSES = (CycleStatus.PLANNED, CycleStatus.COLLECTING, CycleStatus.GENERALISING)
#: Statuses in which findings are written.
GENERALISING_STATUSES = (CycleStatus.GENERALISING, CycleStatus.RATING)
#: Statuses that are over: results are read, not changed.
FINISHED_STATUSES = (CycleStatus.DISCUSSED, CycleStatus.PUBLISHED, CycleStatus.CLOSED)


class ScopeKind(StrEnum):
    ALL = "all"
    ITEMS = "items"
    PLAN_SECTIONS = "plan_sections"

    @property
    def label(self) -> str:
        return SCOPE_LABELS[self]


SCOPE_LABELS = {
    ScopeKind.ALL: "за всіма напрямами",
    ScopeKind.ITEMS: "за обраними напрямами та вимогами",
    ScopeKind.PLAN_SECTIONS: "за розділами плану роботи на рік (блокова система)",
}


class CycleTemplate(FounderOwned, Timestamped, Versioned, db.Model):
    """A founder's self-assessment cycle offered to all of its institutions at once:
    launching it plans a cycle in each (``AssessmentCycle.template_id``), which the
    institution then edits as its own."""

    __tablename__ = "cycle_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    model_kind: Mapped[ModelKind] = mapped_column(_enum(ModelKind, 40))
    school_year: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    #: «all» or «items»: then ``direction_codes`` name directions of the official catalog.
    scope_kind: Mapped[ScopeKind] = mapped_column(_enum(ScopeKind), default=ScopeKind.ALL)
    direction_codes: Mapped[list] = mapped_column(JSON, default=list)
    #: What the founder tells the institutions.
    note: Mapped[str] = mapped_column(Text, default="")
    launched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Institutions the last launch skipped: {institution id: the reason, in Ukrainian}.
    skipped: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    @property
    def school_year_label(self) -> str:
        return f"{self.school_year}/{self.school_year + 1}"

    @property
    def scope_label(self) -> str:
        if self.scope_kind == ScopeKind.ITEMS and self.direction_codes:
            return "за напрямами " + ", ".join(self.direction_codes)
        return ScopeKind.ALL.label


class AssessmentCycle(InstitutionOwned, Timestamped, Versioned, db.Model):
    """One self-assessment: «Самооцінювання 2025/2026»."""

    __tablename__ = "assessment_cycle"
    #: One cycle per institution for each founder's template.
    __table_args__ = (UniqueConstraint("template_id", "institution_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    #: The year the school year starts in: 2025 is 2025/2026.
    school_year: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    #: The model this cycle follows, from the institution's self-assessment model.
    model_kind: Mapped[ModelKind] = mapped_column(_enum(ModelKind, 40))
    scope_kind: Mapped[ScopeKind] = mapped_column(_enum(ScopeKind), default=ScopeKind.ALL)
    status: Mapped[CycleStatus] = mapped_column(
        _enum(CycleStatus), default=CycleStatus.PLANNED, index=True
    )
    #: The catalog the cycle assesses by, fixed when the cycle is created.
    catalog_id: Mapped[int] = mapped_column(
        ForeignKey("institution_catalog.id", ondelete="RESTRICT"), index=True
    )
    #: The level scale version, pinned when rating starts.
    scale_id: Mapped[int | None] = mapped_column(
        ForeignKey("level_scale.id", ondelete="RESTRICT"), index=True
    )
    #: The cycle results are compared with.
    previous_cycle_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessment_cycle.id", ondelete="SET NULL"), index=True
    )
    #: The annual plan whose sections form the blocks («блокова система»).
    annual_plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("annual_plan.id", ondelete="SET NULL"), index=True
    )
    #: The cycle also assesses the quality system's own procedures.
    includes_system_review: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Наказ про проведення самооцінювання: number and date as written, free text.
    order_number: Mapped[str] = mapped_column(String(60), default="")
    order_date: Mapped[date | None] = mapped_column(Date)
    #: Where the results were published (a page of the website).
    publication_url: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    #: The founder's template the cycle was planned from (the institution edits it freely).
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("cycle_template.id", ondelete="SET NULL"), index=True
    )

    catalog: Mapped[InstitutionCatalog] = relationship()
    scale: Mapped[LevelScale | None] = relationship()
    previous_cycle: Mapped["AssessmentCycle | None"] = relationship(remote_side=[id])
    template: Mapped[CycleTemplate | None] = relationship()

    @property
    def school_year_label(self) -> str:
        return f"{self.school_year}/{self.school_year + 1}"

    @property
    def is_comprehensive(self) -> bool:
        return self.scope_kind == ScopeKind.ALL and self.model_kind in (
            ModelKind.ANNUAL_COMPREHENSIVE,
            ModelKind.PROGRAMME_COMPREHENSIVE,
        )

    @property
    def collects(self) -> bool:
        return self.status in COLLECTING_STATUSES

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES


class CycleScopeEntry(InstitutionOwned, db.Model):
    """A direction or requirement in the cycle's scope, or a section of the annual
    plan (with the direction or requirement it covers, when one is named)."""

    __tablename__ = "cycle_scope_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("assessment_cycle.id", ondelete="CASCADE"), index=True
    )
    catalog_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_item.id", ondelete="CASCADE"), index=True
    )
    plan_section_id: Mapped[int | None] = mapped_column(
        ForeignKey("annual_plan_section.id", ondelete="CASCADE"), index=True
    )

    catalog_item: Mapped[CatalogItem | None] = relationship()
    plan_section: Mapped[AnnualPlanSection | None] = relationship()


class GroupRole(StrEnum):
    HEAD = "head"
    SECRETARY = "secretary"
    MEMBER = "member"

    @property
    def label(self) -> str:
        return GROUP_ROLE_LABELS[self]


GROUP_ROLE_LABELS = {
    GroupRole.HEAD: "голова робочої групи",
    GroupRole.SECRETARY: "секретар",
    GroupRole.MEMBER: "член робочої групи",
}


class CycleMember(InstitutionOwned, db.Model):
    """A member of the working group: a staff member, or a person named in words
    (a parent, a representative of the self-government bodies)."""

    __tablename__ = "cycle_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("assessment_cycle.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    #: The name of a person without an account, as written.
    name: Mapped[str] = mapped_column(String(200), default="")
    group_role: Mapped[GroupRole] = mapped_column(_enum(GroupRole), default=GroupRole.MEMBER)
    #: What the member is responsible for, in words.
    responsibility: Mapped[str] = mapped_column(Text, default="")
    #: The direction or requirement the member is responsible for, if one.
    responsible_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_item.id", ondelete="SET NULL")
    )

    user: Mapped["User | None"] = relationship()  # noqa: F821
    responsible_item: Mapped[CatalogItem | None] = relationship()

    @property
    def display_name(self) -> str:
        return self.user.full_name if self.user is not None else self.name


class MethodPlanEntry(InstitutionOwned, db.Model):
    """Which method is used for an indicator, by whom and by when."""

    __tablename__ = "method_plan_entry"
    __table_args__ = (UniqueConstraint("cycle_id", "indicator_id", "method"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("assessment_cycle.id", ondelete="CASCADE"), index=True
    )
    indicator_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_item.id", ondelete="CASCADE"), index=True
    )
    method: Mapped[Method] = mapped_column(_enum(Method))
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("cycle_member.id", ondelete="SET NULL")
    )
    due_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(500), default="")

    indicator: Mapped[CatalogItem] = relationship()
    member: Mapped[CycleMember | None] = relationship()


class CycleScheduleItem(InstitutionOwned, db.Model):
    """A step of the cycle's schedule (графік): what, from when to when, who."""

    __tablename__ = "cycle_schedule_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("assessment_cycle.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(300))
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    responsible: Mapped[str] = mapped_column(String(300), default="")


class CycleTransition(InstitutionOwned, db.Model):
    """One move of the cycle's status: who, when, from what to what."""

    __tablename__ = "cycle_transition"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("assessment_cycle.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[CycleStatus | None] = mapped_column(_enum(CycleStatus))
    to_status: Mapped[CycleStatus] = mapped_column(_enum(CycleStatus))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped["User | None"] = relationship()  # noqa: F821


# Checklists: the institution's copies of the templates in data/checklists.yaml.


class ChecklistKind(StrEnum):
    OBSERVATION_ENVIRONMENT = "observation_environment"
    OBSERVATION_ORGANISED_FORMS = "observation_organised_forms"
    OBSERVATION_INDEPENDENT_ACTIVITY = "observation_independent_activity"
    OBSERVATION_OTHER = "observation_other"
    DOCUMENT_STUDY_TEACHER_PLANS = "document_study_teacher_plans"
    DOCUMENT_STUDY_COUNCIL_PROTOCOLS = "document_study_council_protocols"
    DOCUMENT_STUDY_OTHER = "document_study_other"

    @property
    def label(self) -> str:
        return CHECKLIST_KIND_LABELS[self]

    @property
    def is_observation(self) -> bool:
        return self.value.startswith("observation")


CHECKLIST_KIND_LABELS = {
    ChecklistKind.OBSERVATION_ENVIRONMENT: "спостереження за станом освітнього середовища",
    ChecklistKind.OBSERVATION_ORGANISED_FORMS: (
        "спостереження за проведенням спеціально організованих форм освітнього процесу"
    ),
    ChecklistKind.OBSERVATION_INDEPENDENT_ACTIVITY: (
        "спостереження за самостійною діяльністю дітей"
    ),
    ChecklistKind.OBSERVATION_OTHER: "інше спостереження",
    ChecklistKind.DOCUMENT_STUDY_TEACHER_PLANS: "вивчення планів роботи педагогів",
    ChecklistKind.DOCUMENT_STUDY_COUNCIL_PROTOCOLS: (
        "вивчення протоколів засідань педагогічної ради"
    ),
    ChecklistKind.DOCUMENT_STUDY_OTHER: "вивчення іншої документації",
}


class ChecklistTemplate(InstitutionOwned, Timestamped, Versioned, db.Model):
    """An observation sheet or document-study sheet of the institution."""

    __tablename__ = "checklist_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The key of the dozq template it was copied from; empty for the institution's own.
    source_key: Mapped[str] = mapped_column(String(60), default="")
    kind: Mapped[ChecklistKind] = mapped_column(_enum(ChecklistKind, 40))
    title: Mapped[str] = mapped_column(String(300))
    #: The words of the recommendations the sheet follows.
    seed_quote: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    items: Mapped[list["ChecklistTemplateItem"]] = relationship(
        back_populates="template",
        order_by="ChecklistTemplateItem.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def method(self) -> Method:
        return Method.OBSERVATION if self.kind.is_observation else Method.DOCUMENTS


class ChecklistTemplateItem(InstitutionOwned, db.Model):
    """A focus point of a sheet («на що звернути увагу»)."""

    __tablename__ = "checklist_template_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("checklist_template.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text)
    seed_quote: Mapped[str] = mapped_column(Text, default="")

    template: Mapped[ChecklistTemplate] = relationship(back_populates="items")


# Evidence.


class EvidenceKind(StrEnum):
    OBSERVATION = "observation"
    DOCUMENT_STUDY = "document_study"
    INTERVIEW = "interview"
    EXTERNAL_MONITORING = "external_monitoring"
    INTERNAL_MONITORING = "internal_monitoring"
    STAFF_NOTE = "staff_note"

    @property
    def label(self) -> str:
        return EVIDENCE_KIND_LABELS[self]

    @property
    def method(self) -> Method | None:
        return EVIDENCE_METHODS.get(self)


EVIDENCE_KIND_LABELS = {
    EvidenceKind.OBSERVATION: "спостереження",
    EvidenceKind.DOCUMENT_STUDY: "вивчення документації",
    EvidenceKind.INTERVIEW: "інтерв’ю або фокус-група",
    EvidenceKind.EXTERNAL_MONITORING: "результати зовнішнього моніторингу",
    EvidenceKind.INTERNAL_MONITORING: "результати внутрішнього моніторингу",
    EvidenceKind.STAFF_NOTE: "доказ працівника",
}

EVIDENCE_METHODS = {
    EvidenceKind.OBSERVATION: Method.OBSERVATION,
    EvidenceKind.DOCUMENT_STUDY: Method.DOCUMENTS,
}


class InterviewKind(StrEnum):
    STRUCTURED = "structured"
    SEMI_STRUCTURED = "semi_structured"
    UNSTRUCTURED = "unstructured"
    FOCUS_GROUP = "focus_group"

    @property
    def label(self) -> str:
        return INTERVIEW_KIND_LABELS[self]

    @property
    def method(self) -> Method:
        if self == InterviewKind.FOCUS_GROUP:
            return Method.SURVEY_FOCUS_GROUP
        return Method.SURVEY_INTERVIEW


INTERVIEW_KIND_LABELS = {
    InterviewKind.STRUCTURED: "структуроване інтерв’ю",
    InterviewKind.SEMI_STRUCTURED: "напівструктуроване інтерв’ю",
    InterviewKind.UNSTRUCTURED: "неструктуроване інтерв’ю",
    InterviewKind.FOCUS_GROUP: "фокус-групове дослідження (групове інтерв’ю)",
}

#: The seed: «з групою осіб (від 6 до 12)».
FOCUS_GROUP_MIN = 6
FOCUS_GROUP_MAX = 12


class MonitoringSource(StrEnum):
    AUTHORITY = "authority"
    INTERNATIONAL = "international"
    NGO = "ngo"
    OTHER = "other"

    @property
    def label(self) -> str:
        return MONITORING_SOURCE_LABELS[self]


MONITORING_SOURCE_LABELS = {
    MonitoringSource.AUTHORITY: "органи управління у сфері освіти",
    MonitoringSource.INTERNATIONAL: "міжнародні установи",
    MonitoringSource.NGO: "громадські організації",
    MonitoringSource.OTHER: "інше",
}


class Evidence(InstitutionOwned, Timestamped, db.Model):
    """A piece of information collected for the cycle, linked to indicators."""

    __tablename__ = "evidence"
    __table_args__ = (Index("ix_evidence_cycle_kind", "cycle_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("assessment_cycle.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[EvidenceKind] = mapped_column(_enum(EvidenceKind))
    #: When it was observed, studied, asked or received.
    occurred_on: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(300), default="")
    #: The summary, findings, the staff member's note or the interview protocol.
    body: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    # Observation and document study.
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("checklist_template.id", ondelete="SET NULL")
    )
    checklist_kind: Mapped[ChecklistKind | None] = mapped_column(_enum(ChecklistKind, 40))
    #: The group observed: «група «Бджілка» (старша)».
    group_name: Mapped[str] = mapped_column(String(200), default="")
    #: The teacher whose work was observed, if it was one teacher's.
    observed_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    #: Observers without an account, as written (parents, self-government).
    external_observers: Mapped[str] = mapped_column(Text, default="")
    #: The document studied: «План роботи групи «Бджілка» на жовтень».
    document_title: Mapped[str] = mapped_column(String(300), default="")
    # Interview and focus group.
    interview_kind: Mapped[InterviewKind | None] = mapped_column(_enum(InterviewKind))
    respondents: Mapped[str] = mapped_column(String(500), default="")
    participants_count: Mapped[int | None] = mapped_column(Integer)
    #: The plan of the conversation: the questions.
    questions: Mapped[str] = mapped_column(Text, default="")
    #: Respondents were told that and how their answers are recorded.
    respondents_informed: Mapped[bool] = mapped_column(Boolean, default=False)
    recording_method: Mapped[str] = mapped_column(String(300), default="")
    # External monitoring.
    monitoring_source: Mapped[MonitoringSource | None] = mapped_column(_enum(MonitoringSource))
    source_name: Mapped[str] = mapped_column(String(300), default="")
    # Internal monitoring: the institution's programme the results were taken from
    # (its results are copied into ``body``, so they stay if the programme is deleted).
    monitoring_programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("monitoring_programme.id", ondelete="SET NULL"), index=True
    )

    author: Mapped["User | None"] = relationship(foreign_keys=[author_id])  # noqa: F821
    observed_user: Mapped["User | None"] = relationship(  # noqa: F821
        foreign_keys=[observed_user_id]
    )
    template: Mapped[ChecklistTemplate | None] = relationship()
    monitoring_programme: Mapped[MonitoringProgramme | None] = relationship()
    answers: Mapped[list["EvidenceAnswer"]] = relationship(
        order_by="EvidenceAnswer.position", cascade="all, delete-orphan", passive_deletes=True
    )
    observers: Mapped[list["EvidenceObserver"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )
    files: Mapped[list["EvidenceFile"]] = relationship(
        order_by="EvidenceFile.id", cascade="all, delete-orphan", passive_deletes=True
    )
    links: Mapped[list["EvidenceIndicator"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def method(self) -> Method | None:
        if self.kind == EvidenceKind.INTERVIEW and self.interview_kind is not None:
            return self.interview_kind.method
        return self.kind.method

    @property
    def kind_label(self) -> str:
        if self.kind == EvidenceKind.INTERVIEW and self.interview_kind is not None:
            return self.interview_kind.label
        if self.checklist_kind is not None:
            return self.checklist_kind.label
        return self.kind.label

    @property
    def has_protocol(self) -> bool:
        return self.kind == EvidenceKind.INTERVIEW and bool(self.body)


class EvidenceIndicator(InstitutionOwned, db.Model):
    __tablename__ = "evidence_indicator"
    __table_args__ = (UniqueConstraint("evidence_id", "indicator_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evidence_id: Mapped[int] = mapped_column(
        ForeignKey("evidence.id", ondelete="CASCADE"), index=True
    )
    indicator_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_item.id", ondelete="CASCADE"), index=True
    )


class EvidenceFile(InstitutionOwned, db.Model):
    __tablename__ = "evidence_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    evidence_id: Mapped[int] = mapped_column(
        ForeignKey("evidence.id", ondelete="CASCADE"), index=True
    )
    stored_file_id: Mapped[int] = mapped_column(
        ForeignKey("stored_file.id", ondelete="CASCADE"), index=True
    )

    stored_file: Mapped[StoredFile] = relationship()


class EvidenceObserver(InstitutionOwned, db.Model):
    """A staff member who took part in an observation."""

    __tablename__ = "evidence_observer"
    __table_args__ = (UniqueConstraint("evidence_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evidence_id: Mapped[int] = mapped_column(
        ForeignKey("evidence.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))

    user: Mapped["User"] = relationship()  # noqa: F821


#: The checklist marks: value → label, from the best down; None is «не спостерігалося».
MARKS = {
    3: "так, повною мірою",
    2: "здебільшого",
    1: "частково",
    0: "ні",
}
MAX_MARK = 3
NOT_OBSERVED = "не спостерігалося"


class EvidenceAnswer(InstitutionOwned, db.Model):
    """One focus point of a checklist as recorded: its mark and comment. The text is
    copied, so later edits of the template do not change what was recorded."""

    __tablename__ = "evidence_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    evidence_id: Mapped[int] = mapped_column(
        ForeignKey("evidence.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    item_text: Mapped[str] = mapped_column(Text)
    #: 0–3 (see MARKS); None when not observed / not applicable.
    mark: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")

    @property
    def mark_label(self) -> str:
        return MARKS[self.mark] if self.mark is not None else NOT_OBSERVED


# Generalising and rating.


class ItemAssessment(InstitutionOwned, Timestamped, Versioned, db.Model):
    """How one catalog item fared in a cycle.

    For an indicator: the score a person gave, the narrative naming the method and
    the evidence, the justification and dozq's proposal at the time. For a
    requirement or direction: the working group's findings (achievements,
    difficulties, trends) and, when a person sets the level instead of the derived
    one, that level with the reason. One table, so a cycle's results (and the
    previous cycle's, for comparison) are read in one query.
    """

    __tablename__ = "item_assessment"
    __table_args__ = (UniqueConstraint("cycle_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("assessment_cycle.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_item.id", ondelete="CASCADE"), index=True
    )
    # An indicator's rating.
    score: Mapped[Decimal | None] = mapped_column(Hundredths)
    #: What was found, by which method, on what evidence.
    narrative: Mapped[str] = mapped_column(Text, default="")
    #: Why this score.
    justification: Mapped[str] = mapped_column(Text, default="")
    #: dozq's proposal when the person decided (None: there was none).
    proposed_score: Mapped[Decimal | None] = mapped_column(Hundredths)
    rated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A requirement's or direction's findings and level.
    achievements: Mapped[str] = mapped_column(Text, default="")
    difficulties: Mapped[str] = mapped_column(Text, default="")
    trends: Mapped[str] = mapped_column(Text, default="")
    override_level_id: Mapped[int | None] = mapped_column(
        ForeignKey("scale_level.id", ondelete="RESTRICT")
    )
    override_reason: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    override_level: Mapped[ScaleLevel | None] = relationship()
    rated_by: Mapped["User | None"] = relationship(foreign_keys=[rated_by_id])  # noqa: F821


class DirectionResult(InstitutionOwned, db.Model):
    """A direction's result in a cycle whose ratings are final, as the cycle's own
    roll-up gave it when the pedagogical council discussed it (levels set by hand
    included). Ratings never change after «обговорено», so these rows are the
    cycle's result: the founder's dashboard and its trend read them instead of
    aggregating every rating of every institution on each request. Cycles discussed
    before this table existed were filled by its migration with the mean of means
    the dashboard computed then (no levels set by hand, the whole catalog)."""

    __tablename__ = "direction_result"
    __table_args__ = (UniqueConstraint("cycle_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("assessment_cycle.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(40))
    #: The score in hundredths (356 for 3,56): plain integers for SQL means.
    points: Mapped[int | None] = mapped_column(Integer)
    level_name: Mapped[str] = mapped_column(String(120), default="")
    #: The level's colour class («level-1» … «level-4»), empty without a level.
    level_css: Mapped[str] = mapped_column(String(20), default="")


# Discussion.


class PedagogicalCouncilMeeting(InstitutionOwned, Timestamped, Versioned, db.Model):
    """Засідання педагогічної ради: date, protocol number (free text), agenda and
    decisions. General: self-assessment and the regulation both refer to it."""

    __tablename__ = "pedagogical_council_meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    held_on: Mapped[date] = mapped_column(Date)
    #: «№ 3», «№ 108-22/2»: as written in the protocol.
    protocol_number: Mapped[str] = mapped_column(String(60))
    agenda: Mapped[str] = mapped_column(Text, default="")
    decisions: Mapped[str] = mapped_column(Text, default="")
    #: Присутні: how many, or in words.
    attendance: Mapped[str] = mapped_column(String(300), default="")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    @property
    def label(self) -> str:
        from dozq.web.filters import date_uk

        number = self.protocol_number.strip()
        if number and not number.startswith("№"):
            number = f"№ {number}"
        return f"протокол {number} від {date_uk(self.held_on)}"


class DiscussionKind(StrEnum):
    COUNCIL = "council"
    PARENTS = "parents"
    FOUNDER = "founder"
    EXPERTS = "experts"
    OTHER = "other"

    @property
    def label(self) -> str:
        return DISCUSSION_KIND_LABELS[self]


DISCUSSION_KIND_LABELS = {
    DiscussionKind.COUNCIL: "засідання педагогічної ради",
    DiscussionKind.PARENTS: "обговорення з батьківською громадою",
    DiscussionKind.FOUNDER: "обговорення з представником засновника",
    DiscussionKind.EXPERTS: "обговорення із залученими експертами",
    DiscussionKind.OTHER: "інше обговорення",
}


class CycleDiscussion(InstitutionOwned, Timestamped, db.Model):
    """Where the results were discussed, who took part and what they remarked."""

    __tablename__ = "cycle_discussion"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("assessment_cycle.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[DiscussionKind] = mapped_column(_enum(DiscussionKind))
    held_on: Mapped[date] = mapped_column(Date)
    council_meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("pedagogical_council_meeting.id", ondelete="RESTRICT"), index=True
    )
    participants: Mapped[str] = mapped_column(Text, default="")
    remarks: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    council_meeting: Mapped[PedagogicalCouncilMeeting | None] = relationship()


# Acting on the results.


class DecisionKind(StrEnum):
    ACTION = "action"
    PRIORITY = "priority"
    ANNUAL_PLAN = "annual_plan"
    PROGRAMME = "programme"
    SYSTEM = "system"

    @property
    def label(self) -> str:
        return DECISION_KIND_LABELS[self]


DECISION_KIND_LABELS = {
    DecisionKind.ACTION: "управлінське рішення",
    DecisionKind.PRIORITY: "пріоритетний напрям удосконалення",
    DecisionKind.ANNUAL_PLAN: "корегування плану роботи на рік",
    DecisionKind.PROGRAMME: "корегування програми (стратегії) розвитку",
    DecisionKind.SYSTEM: "вдосконалення внутрішньої системи",
}


class DecisionStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return DECISION_STATUS_LABELS[self]

    @property
    def is_open(self) -> bool:
        return self in (DecisionStatus.PLANNED, DecisionStatus.IN_PROGRESS)


DECISION_STATUS_LABELS = {
    DecisionStatus.PLANNED: "заплановано",
    DecisionStatus.IN_PROGRESS: "виконується",
    DecisionStatus.DONE: "виконано",
    DecisionStatus.CANCELLED: "скасовано",
}


class ManagementDecision(InstitutionOwned, Timestamped, Versioned, db.Model):
    """What is to be done about a finding: who, by when, and how it stands. An open
    decision is carried into the next cycle's plan (``carried_to_cycle_id``)."""

    __tablename__ = "management_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("assessment_cycle.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[DecisionKind] = mapped_column(_enum(DecisionKind), default=DecisionKind.ACTION)
    #: The direction or requirement the decision answers (a priority direction names it).
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_item.id", ondelete="SET NULL"), index=True
    )
    what: Mapped[str] = mapped_column(Text)
    responsible_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    responsible: Mapped[str] = mapped_column(String(300), default="")
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[DecisionStatus] = mapped_column(
        _enum(DecisionStatus), default=DecisionStatus.PLANNED
    )
    #: What was done, or why it was cancelled.
    outcome: Mapped[str] = mapped_column(Text, default="")
    annual_plan_section_id: Mapped[int | None] = mapped_column(
        ForeignKey("annual_plan_section.id", ondelete="SET NULL")
    )
    development_programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("development_programme.id", ondelete="SET NULL")
    )
    carried_to_cycle_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessment_cycle.id", ondelete="SET NULL"), index=True
    )

    cycle: Mapped[AssessmentCycle] = relationship(foreign_keys=[cycle_id])
    item: Mapped[CatalogItem | None] = relationship()
    responsible_user: Mapped["User | None"] = relationship()  # noqa: F821
    annual_plan_section: Mapped[AnnualPlanSection | None] = relationship()
    development_programme: Mapped[DevelopmentProgramme | None] = relationship()

    @property
    def responsible_label(self) -> str:
        parts = [self.responsible_user.full_name] if self.responsible_user else []
        if self.responsible:
            parts.append(self.responsible)
        return ", ".join(parts)


class RequestTopic(StrEnum):
    RESOURCES = "resources"
    REPAIRS = "repairs"
    STAFFING = "staffing"
    OTHER = "other"

    @property
    def label(self) -> str:
        return REQUEST_TOPIC_LABELS[self]


REQUEST_TOPIC_LABELS = {
    RequestTopic.RESOURCES: "матеріально-технічна, навчально-методична база",
    RequestTopic.REPAIRS: "ремонт приміщень, території",
    RequestTopic.STAFFING: "кадрове забезпечення",
    RequestTopic.OTHER: "інше",
}


class FounderRequest(InstitutionOwned, Timestamped, Versioned, db.Model):
    """An institution's request to its founder arising from self-assessment (the seed:
    «ініціювання перед засновником ЗДО питань щодо розвитку матеріально-технічної …
    бази»). The founder reads sent requests in its scope and answers them."""

    __tablename__ = "founder_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("assessment_cycle.id", ondelete="CASCADE"), index=True
    )
    topic: Mapped[RequestTopic] = mapped_column(_enum(RequestTopic))
    subject: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    #: What the finding is, in the words the founder reads.
    justification: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    sent_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    sent_by: Mapped["User | None"] = relationship(foreign_keys=[sent_by_id])  # noqa: F821
    answered_by: Mapped["User | None"] = relationship(  # noqa: F821
        foreign_keys=[answered_by_id]
    )

    @property
    def state_label(self) -> str:
        if self.answered_at is not None:
            return "відповідь отримано"
        if self.sent_at is not None:
            return "надіслано засновнику"
        return "чернетка"


class DevelopmentNeed(InstitutionOwned, Timestamped, db.Model):
    """A teacher's professional development need found by observation. Seen only by
    that teacher, the director and the methodologist (``queries.visible_needs``)."""

    __tablename__ = "development_need"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("assessment_cycle.id", ondelete="CASCADE"), index=True
    )
    evidence_id: Mapped[int | None] = mapped_column(
        ForeignKey("evidence.id", ondelete="SET NULL"), index=True
    )
    teacher_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    need: Mapped[str] = mapped_column(Text)
    #: The support offered: a mentor, a course, a visit to a colleague's class.
    support: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    teacher: Mapped["User"] = relationship(foreign_keys=[teacher_id])  # noqa: F821
    evidence: Mapped[Evidence | None] = relationship()


class ProcedureVerdict(StrEnum):
    EFFECTIVE = "effective"
    PARTLY = "partly"
    INEFFECTIVE = "ineffective"

    @property
    def label(self) -> str:
        return PROCEDURE_VERDICT_LABELS[self]


PROCEDURE_VERDICT_LABELS = {
    ProcedureVerdict.EFFECTIVE: "дієва",
    ProcedureVerdict.PARTLY: "частково дієва",
    ProcedureVerdict.INEFFECTIVE: "недієва",
}


class ProcedureReview(InstitutionOwned, Timestamped, Versioned, db.Model):
    """The effectiveness of one component's procedure of the quality system, as the
    cycle found it (the seed: «процедури вивчення її ефективності»)."""

    __tablename__ = "procedure_review"
    __table_args__ = (UniqueConstraint("cycle_id", "component_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("assessment_cycle.id", ondelete="CASCADE"), index=True
    )
    component_id: Mapped[int] = mapped_column(
        ForeignKey("quality_component.id", ondelete="CASCADE"), index=True
    )
    #: The measure found weakest, when one is named.
    measure_id: Mapped[int | None] = mapped_column(
        ForeignKey("quality_measure.id", ondelete="SET NULL")
    )
    verdict: Mapped[ProcedureVerdict] = mapped_column(_enum(ProcedureVerdict))
    finding: Mapped[str] = mapped_column(Text, default="")
    proposal: Mapped[str] = mapped_column(Text, default="")

    component: Mapped[QualityComponent] = relationship()
    measure: Mapped[QualityMeasure | None] = relationship()
