"""Questionnaires (анкети): their structure, collection points and anonymous answers.

A questionnaire belongs to one institution and has sections, questions and the
options of each question. Its kind (закритого, відкритого, напівзакритого типу,
комбінована) is derived from its questions, never stored.

Collecting: a published questionnaire is answered through public links
(``SurveyLink``: /s/<token>, one for everyone or one per group) or printed
single-use codes (``SurveyCode``: /c/<code>). Answers are anonymous by design:

* a ``SurveyResponse`` keeps no name, account, IP address or exact time — only
  the day it arrived, the school year, the channel, the audience and the group;
* a single-use code is only marked spent; nothing links it to the response;
* anonymous submissions are not written to the audit log (its exact times would
  order them).

Processing reads ``SurveyTally``: per questionnaire, question, option, group,
audience, school year and channel, the number of respondents and the sum of
scale values. The rows are maintained by SQL upserts in the same transaction
as each response (and rebuilt from the answers by one INSERT … SELECT … GROUP
BY after bulk loads), so results are SQL sums over a few hundred rows whatever
the number of responses.
"""

from datetime import date, datetime
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

from dozq.catalog.models import CatalogItem
from dozq.db import Timestamped, UTCDateTime, Versioned, db
from dozq.tenancy.scope import FounderOwned, InstitutionOwned


def _enum(enum, length=20):
    return db.Enum(enum, native_enum=False, length=length, validate_strings=True)


class SurveyAudience(StrEnum):
    PARENTS = "parents"
    TEACHERS = "teachers"
    OTHER_STAFF = "other_staff"
    MEDICAL = "medical"

    @property
    def label(self) -> str:
        return AUDIENCE_LABELS[self]


AUDIENCE_LABELS = {
    SurveyAudience.PARENTS: "батьки (законні представники)",
    SurveyAudience.TEACHERS: "педагогічні працівники",
    SurveyAudience.OTHER_STAFF: "інші працівники",
    SurveyAudience.MEDICAL: "медичні працівники",
}


class QuestionKind(StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    SCALE = "scale"
    YES_PARTLY_NO = "yes_partly_no"
    OPEN = "open"
    SEMI_CLOSED = "semi_closed"

    @property
    def label(self) -> str:
        return QUESTION_KIND_LABELS[self]

    @property
    def has_options(self) -> bool:
        return self is not QuestionKind.OPEN

    @property
    def is_closed(self) -> bool:
        return self in CLOSED_KINDS


QUESTION_KIND_LABELS = {
    QuestionKind.SINGLE: "вибір однієї відповіді",
    QuestionKind.MULTIPLE: "вибір кількох відповідей",
    QuestionKind.SCALE: "шкала оцінювання",
    QuestionKind.YES_PARTLY_NO: "так / частково / ні",
    QuestionKind.OPEN: "відкрите питання (відповідь своїми словами)",
    QuestionKind.SEMI_CLOSED: "напівзакрите питання (варіанти та «інше: …»)",
}

CLOSED_KINDS = frozenset(
    {QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.SCALE, QuestionKind.YES_PARTLY_NO}
)


class QuestionnaireKind(StrEnum):
    """Тип анкети, as the seed names them; derived from the questions."""

    CLOSED = "closed"
    OPEN = "open"
    SEMI_CLOSED = "semi_closed"
    COMBINED = "combined"

    @property
    def label(self) -> str:
        return QUESTIONNAIRE_KIND_LABELS[self]


QUESTIONNAIRE_KIND_LABELS = {
    QuestionnaireKind.CLOSED: "анкета закритого типу",
    QuestionnaireKind.OPEN: "анкета відкритого типу",
    QuestionnaireKind.SEMI_CLOSED: "анкета напівзакритого типу",
    QuestionnaireKind.COMBINED: "комбінована анкета",
}


def questionnaire_kind(kinds) -> QuestionnaireKind | None:
    """Closed questions only → закритого; open only → відкритого; semi-closed
    (alone or with closed ones) → напівзакритого; open with any other → комбінована."""
    kinds = set(kinds)
    if not kinds:
        return None
    has_open = QuestionKind.OPEN in kinds
    has_semi = QuestionKind.SEMI_CLOSED in kinds
    has_closed = bool(kinds & CLOSED_KINDS)
    if has_open and (has_semi or has_closed):
        return QuestionnaireKind.COMBINED
    if has_open:
        return QuestionnaireKind.OPEN
    if has_semi:
        return QuestionnaireKind.SEMI_CLOSED
    return QuestionnaireKind.CLOSED


class Channel(StrEnum):
    ONLINE = "online"
    CODE = "code"
    PAPER = "paper"

    @property
    def label(self) -> str:
        return CHANNEL_LABELS[self]


CHANNEL_LABELS = {
    Channel.ONLINE: "онлайн за посиланням",
    Channel.CODE: "онлайн за одноразовим кодом",
    Channel.PAPER: "паперова анкета",
}


class SurveyOffer(FounderOwned, Timestamped, db.Model):
    """A founder offers one ready questionnaire to all of its institutions; each
    gets its own copy marked with the offer, so the results compare."""

    __tablename__ = "survey_offer"

    id: Mapped[int] = mapped_column(primary_key=True)
    library_key: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(300))
    audience: Mapped[SurveyAudience] = mapped_column(_enum(SurveyAudience))
    note: Mapped[str] = mapped_column(Text, default="")
    #: The questionnaire as offered (library definition), kept as it was.
    definition: Mapped[dict] = mapped_column(JSON, default=dict)
    offered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )


class Questionnaire(InstitutionOwned, Timestamped, Versioned, db.Model):
    """Анкета of one institution."""

    __tablename__ = "survey_questionnaire"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    audience: Mapped[SurveyAudience] = mapped_column(_enum(SurveyAudience))
    #: Вступне звернення до респондентів.
    introduction: Mapped[str] = mapped_column(Text, default="")
    #: The school year of this edition (2025 = 2025/2026).
    school_year: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opens_on: Mapped[date | None] = mapped_column(Date)
    closes_on: Mapped[date | None] = mapped_column(Date)
    #: Groups (and any other breakdown) with fewer respondents are hidden.
    min_group_size: Mapped[int] = mapped_column(Integer, default=5)
    #: Скільки респондентів очікується (families, teachers …), for the response rate.
    expected_respondents: Mapped[int | None] = mapped_column(Integer)
    #: The ready questionnaire this one was copied from.
    library_key: Mapped[str] = mapped_column(String(60), default="")
    offer_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey_offer.id", ondelete="SET NULL"), index=True
    )
    #: The edition this one continues (a new school year's copy).
    previous_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey_questionnaire.id", ondelete="SET NULL")
    )
    #: Shared by all editions of one questionnaire: year-over-year dynamics.
    series_key: Mapped[str] = mapped_column(String(32), index=True)
    #: Bumped (by an UPDATE, not the unit of work) with every response, recount and
    #: change of questions or groups: the key of cached results (surveys/cache.py).
    data_version: Mapped[int] = mapped_column(Integer, default=0)
    #: Bumped with ``data_version`` by every change of its sections, questions or
    #: options, but not by answers: the key of its kept structure (``question_views``).
    structure_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    sections: Mapped[list["SurveySection"]] = relationship(
        back_populates="questionnaire",
        order_by=lambda: [SurveySection.position, SurveySection.id],
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    questions: Mapped[list["SurveyQuestion"]] = relationship(
        back_populates="questionnaire",
        order_by=lambda: [SurveyQuestion.position, SurveyQuestion.id],
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    offer: Mapped[SurveyOffer | None] = relationship()

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class SurveySection(InstitutionOwned, Versioned, db.Model):
    """Розділ анкети."""

    __tablename__ = "survey_section"

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("survey_questionnaire.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(300))

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="sections")
    questions: Mapped[list["SurveyQuestion"]] = relationship(
        back_populates="section",
        order_by=lambda: [SurveyQuestion.position, SurveyQuestion.id],
        passive_deletes=True,
    )


class SurveyQuestion(InstitutionOwned, Versioned, db.Model):
    """Питання анкети; the order is by section, then position."""

    __tablename__ = "survey_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("survey_questionnaire.id", ondelete="CASCADE"), index=True
    )
    section_id: Mapped[int] = mapped_column(
        ForeignKey("survey_section.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[QuestionKind] = mapped_column(_enum(QuestionKind))
    text: Mapped[str] = mapped_column(Text)
    hint: Mapped[str] = mapped_column(Text, default="")
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    #: 3 to 5 for a scale.
    scale_points: Mapped[int | None] = mapped_column(Integer)
    #: A semi-closed question lets the respondent tick several options.
    allow_many: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The question of the previous edition this one continues (dynamics).
    source_question_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey_question.id", ondelete="SET NULL")
    )
    #: Shared by a question and its copies in later editions.
    lineage_key: Mapped[str] = mapped_column(String(32), index=True)
    #: A stable key of a library / offered question («parents_satisfaction:2.1»):
    #: the founder compares the copies of an offered questionnaire by it.
    source_key: Mapped[str] = mapped_column(String(80), default="")

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="questions")
    section: Mapped[SurveySection] = relationship(back_populates="questions")
    options: Mapped[list["SurveyOption"]] = relationship(
        back_populates="question",
        order_by=lambda: [SurveyOption.position, SurveyOption.id],
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    indicator_links: Mapped[list["SurveyIndicatorLink"]] = relationship(
        back_populates="question", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def is_multiple(self) -> bool:
        return self.kind is QuestionKind.MULTIPLE or (
            self.kind is QuestionKind.SEMI_CLOSED and self.allow_many
        )

    @property
    def has_positive(self) -> bool:
        return any(option.positive for option in self.options)


class SurveyOption(InstitutionOwned, db.Model):
    """Варіант відповіді (a point of a scale, «так», «інше: …»)."""

    __tablename__ = "survey_option"
    # With the tenant's column second, SQLite reaches a question's options through
    # this index rather than through all options of the institution.
    __table_args__ = (
        Index("ix_survey_option_question_id_institution_id", "question_id", "institution_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_question.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    label: Mapped[str] = mapped_column(String(300))
    #: The point of a scale (1 … scale_points).
    value: Mapped[int | None] = mapped_column(Integer)
    #: Counts towards the share of positive answers (evidence for indicators).
    positive: Mapped[bool] = mapped_column(Boolean, default=False)
    #: «Інше: …» of a semi-closed question: the respondent writes their own answer.
    is_other: Mapped[bool] = mapped_column(Boolean, default=False)

    question: Mapped[SurveyQuestion] = relationship(back_populates="options")


class SurveyIndicatorLink(InstitutionOwned, db.Model):
    """A question (or one of its options) gives evidence for an indicator of the
    institution's catalog."""

    __tablename__ = "survey_indicator_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("survey_question.id", ondelete="CASCADE"), index=True
    )
    option_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey_option.id", ondelete="CASCADE"), index=True
    )
    catalog_item_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_item.id", ondelete="CASCADE"), index=True
    )

    question: Mapped[SurveyQuestion] = relationship(back_populates="indicator_links")
    option: Mapped[SurveyOption | None] = relationship()
    indicator: Mapped[CatalogItem] = relationship()


class SurveyGroup(InstitutionOwned, Versioned, db.Model):
    """Група закладу as surveys see it: a name and how many families it has."""

    __tablename__ = "survey_group"
    __table_args__ = (UniqueConstraint("institution_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    #: Families (or people) a questionnaire for this group can expect.
    expected_respondents: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)


class SurveyLink(InstitutionOwned, Timestamped, db.Model):
    """A public link /s/<token>: for everyone, or for one group / audience."""

    __tablename__ = "survey_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("survey_questionnaire.id", ondelete="CASCADE"), index=True
    )
    #: ``secrets.token_urlsafe(16)``: 128 random bits.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("survey_group.id"), index=True)
    audience: Mapped[SurveyAudience] = mapped_column(_enum(SurveyAudience))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    questionnaire: Mapped[Questionnaire] = relationship()
    group: Mapped[SurveyGroup | None] = relationship()


class SurveyCode(InstitutionOwned, db.Model):
    """A printed single-use code (one per family). Only «spent» is recorded: no
    time, and nothing that leads to the response it allowed."""

    __tablename__ = "survey_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("survey_questionnaire.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(20), unique=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("survey_group.id"), index=True)
    #: Which printed sheet it came on (1, 2, …).
    batch: Mapped[int] = mapped_column(Integer, default=1)
    spent: Mapped[bool] = mapped_column(Boolean, default=False)

    group: Mapped[SurveyGroup | None] = relationship()


class SurveyResponse(InstitutionOwned, db.Model):
    """One completed questionnaire: no person, no address, no exact time."""

    __tablename__ = "survey_response"
    __table_args__ = (UniqueConstraint("questionnaire_id", "submission_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("survey_questionnaire.id", ondelete="CASCADE"), index=True
    )
    #: The day only (Kyiv time).
    submitted_on: Mapped[date] = mapped_column(Date)
    school_year: Mapped[int] = mapped_column(Integer)
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    audience: Mapped[SurveyAudience] = mapped_column(_enum(SurveyAudience))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("survey_group.id"), index=True)
    #: A random key of the form the respondent opened: a repeated POST of the same
    #: form (a network retry) is stored once.
    submission_key: Mapped[str | None] = mapped_column(String(43))


class SurveyAnswer(InstitutionOwned, db.Model):
    """One chosen option, scale point or written answer of a response."""

    __tablename__ = "survey_answer"
    __table_args__ = (Index("ix_survey_answer_question_option", "question_id", "option_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("survey_response.id", ondelete="CASCADE"), index=True
    )
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("survey_questionnaire.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_question.id", ondelete="CASCADE"))
    option_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey_option.id", ondelete="CASCADE")
    )
    #: The point of a scale answer.
    value: Mapped[int | None] = mapped_column(Integer)
    #: An open answer, or the words written after «інше».
    text: Mapped[str | None] = mapped_column(Text)
    #: ``text.casefold()``: searching Ukrainian text the same way on every database
    #: (SQLite's lower() knows only ASCII).
    search_text: Mapped[str | None] = mapped_column(Text)


#: ``question_id`` of the row counting whole responses.
WHOLE_RESPONSE = 0
#: ``option_id`` of the row counting respondents who answered the question.
ANSWERED = 0
#: ``option_id`` of the row counting respondents who gave a positive answer.
POSITIVE = -1


class SurveyTally(InstitutionOwned, db.Model):
    """Running counts of one questionnaire, by every dimension results filter on.

    (question 0, option 0): responses; (question q, option 0): respondents who
    answered q, with the sum of their scale points; (q, −1): respondents with a
    positive answer to q; (q, o): respondents who chose option o.
    """

    __tablename__ = "survey_tally"
    __table_args__ = (
        UniqueConstraint(
            "questionnaire_id",
            "question_id",
            "option_id",
            "group_id",
            "audience",
            "school_year",
            "channel",
            name="uq_survey_tally_key",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("survey_questionnaire.id", ondelete="CASCADE")
    )
    question_id: Mapped[int] = mapped_column(Integer)
    option_id: Mapped[int] = mapped_column(Integer)
    #: 0: no group (a link for everyone).
    group_id: Mapped[int] = mapped_column(Integer)
    audience: Mapped[str] = mapped_column(String(20))
    school_year: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(20))
    count: Mapped[int] = mapped_column(Integer, default=0)
    value_sum: Mapped[int] = mapped_column(Integer, default=0)
