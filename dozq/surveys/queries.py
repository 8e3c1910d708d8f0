"""The read side: results, breakdowns, dynamics, evidence and the founder's comparison.

Numbers come from SQL: GROUP BY sums over ``survey_tally`` (kept up to date in
the transaction of every response), so a results page costs the same two
aggregate queries whether a questionnaire has ten responses or ten thousand.
Evidence for a period is counted from the answers themselves (GROUP BY over
``survey_answer`` joined to the day of each response).

Small groups (anonymity). ``suppress`` hides every value of a breakdown with
fewer respondents than the questionnaire's threshold (default 5), and then the
smallest others until the hidden values hold at least the threshold together —
otherwise they could be computed as the total minus the rest (complementary
suppression). It applies to groups, audiences and school years of whole
responses, and per question across groups (a question answered by few people
of a group is hidden for that group, with its complement). A filter that picks
a hidden value shows nothing; open answers are listed without their group and
only when the view itself may be shown. Crossing filters (a group within a
school year against the same group in all years) single out nobody either: each
breakdown is counted among the responses of the other filters, so the years of a
group that could be told apart this way are hidden within it.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from flask import current_app, g, has_request_context, url_for
from sqlalchemy import bindparam, case, func, null, or_, select, union_all
from sqlalchemy.orm import aliased

from dozq.db import db
from dozq.surveys.models import (
    ANSWERED,
    POSITIVE,
    WHOLE_RESPONSE,
    QuestionKind,
    Questionnaire,
    SurveyAnswer,
    SurveyAudience,
    SurveyGroup,
    SurveyIndicatorLink,
    SurveyOffer,
    SurveyOption,
    SurveyQuestion,
    SurveyResponse,
    SurveyTally,
)
from dozq.surveys.services import (
    DEFAULT_MIN_GROUP_SIZE,
    kept_question_views,
    question_views,
    school_year_label,
)
from dozq.tenancy.models import Institution

NO_GROUP = 0
NO_GROUP_LABEL = "без групи (загальне посилання)"


def suppress(counts: dict, threshold: int) -> set:
    """Values of a breakdown to hide: those with 1..threshold-1 respondents, and then
    the smallest others until the hidden ones hold at least ``threshold`` together —
    the total minus the shown values must not single out a few (complementary
    suppression)."""
    hidden = {key for key, count in counts.items() if 0 < count < threshold}
    others = sorted(
        (count, str(key), key) for key, count in counts.items() if key not in hidden and count > 0
    )
    while hidden and sum(counts[key] for key in hidden) < threshold and others:
        hidden.add(others.pop(0)[2])
    return hidden


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class Filters:
    audience: str | None = None
    group_id: int | None = None
    #: None with ``all_years`` False: the latest school year that has answers.
    school_year: int | None = None
    all_years: bool = False

    @classmethod
    def from_args(cls, args) -> "Filters":
        def number(name):
            value = (args.get(name) or "").strip()
            return int(value) if value.isdigit() and len(value) < 10 else None

        audience = args.get("audience") or None
        if audience not in {item.value for item in SurveyAudience}:
            audience = None
        year = args.get("year")
        return cls(audience, number("group"), number("year"), all_years=year == "all")

    @property
    def any(self) -> bool:
        return any(value is not None for value in (self.audience, self.group_id, self.school_year))

    def query_args(self) -> dict:
        args = {}
        if self.audience:
            args["audience"] = self.audience
        if self.group_id is not None:
            args["group"] = self.group_id
        if self.school_year is not None:
            args["year"] = self.school_year
        elif self.all_years:
            args["year"] = "all"
        return args


@dataclass
class Dimension:
    value: object
    label: str
    count: int
    hidden: bool
    expected: int | None = None

    @property
    def rate(self) -> float | None:
        return share(self.count, self.expected) if self.expected else None


@dataclass
class OptionResult:
    option: SurveyOption
    count: int
    share: float | None


@dataclass
class QuestionResult:
    question: SurveyQuestion
    number: int
    respondents: int
    hidden: bool
    options: list[OptionResult] = field(default_factory=list)
    mean: float | None = None
    positive: int = 0

    @property
    def share_positive(self) -> float | None:
        if not self.question.has_positive:
            return None
        return share(self.positive, self.respondents)

    @property
    def has_other(self) -> bool:
        """Does the question offer «інше» (answers in the respondent's own words)?"""
        return any(option.is_other for option in self.question.options)


@dataclass
class Results:
    questionnaire: Questionnaire
    filters: Filters
    threshold: int
    total: int
    #: Why nothing is shown (the view is too small, or a hidden value was picked).
    hidden_reason: str | None
    questions: list[QuestionResult]
    groups: list[Dimension]
    audiences: list[Dimension]
    years: list[Dimension]
    channels: dict[str, int]
    expected: int | None
    group_names: dict[int, str]

    @property
    def rate(self) -> float | None:
        return share(self.total, self.expected) if self.expected else None

    @property
    def hidden(self) -> bool:
        return self.hidden_reason is not None


@cache
def _tally_statement(by_group: bool, by_audience: bool, years: str):
    """The statement of ``_tallies`` for one shape of filters (values are bound
    parameters), built once: building it costs more than running it.
    ``years``: "one" (a year is chosen), "all", or "latest" (the default).

    Two sums read the tally along its unique key: the whole responses (with their
    group's name), then the answers — per group only for the respondents of a
    question (option ``ANSWERED``)."""
    tally = SurveyTally
    answers = [
        tally.questionnaire_id == bindparam("questionnaire_id"),
        tally.question_id > WHOLE_RESPONSE,
    ]
    if by_audience:
        answers.append(tally.audience == bindparam("audience"))
    if years == "one":
        answers.append(tally.school_year == bindparam("school_year"))
    elif years == "latest":
        # As ``results`` decides: the latest year when the selection spans several.
        other = aliased(SurveyTally)
        conditions = [
            other.questionnaire_id == bindparam("questionnaire_id"),
            other.question_id == WHOLE_RESPONSE,
            other.option_id == ANSWERED,
        ]
        if by_group:
            conditions.append(other.group_id == bindparam("group_id"))
        if by_audience:
            conditions.append(other.audience == bindparam("audience"))
        latest = (
            select(
                case(
                    (
                        func.min(other.school_year) < func.max(other.school_year),
                        func.max(other.school_year),
                    )
                )
            )
            .where(*conditions)
            .scalar_subquery()
        )
        answers.append(tally.school_year == func.coalesce(latest, tally.school_year))
    if by_group:
        answers.append(or_(tally.option_id == ANSWERED, tally.group_id == bindparam("group_id")))
    whole_keys = (
        tally.question_id,
        tally.option_id,
        tally.group_id,
        tally.audience,
        tally.school_year,
        tally.channel,
    )
    group = (SurveyGroup.name, SurveyGroup.expected_respondents)
    responses = (
        select(*whole_keys, func.sum(tally.count), func.sum(tally.value_sum), *group)
        .outerjoin(SurveyGroup, SurveyGroup.id == tally.group_id)
        .where(
            tally.questionnaire_id == bindparam("questionnaire_id"),
            tally.question_id == WHOLE_RESPONSE,
            tally.option_id == ANSWERED,
        )
        .group_by(*whole_keys, *group)
    )
    by_answered_group = case((tally.option_id == ANSWERED, tally.group_id))
    nothing = null()
    answered = (
        select(
            tally.question_id,
            tally.option_id,
            by_answered_group,
            nothing,
            nothing,
            nothing,
            func.sum(tally.count),
            func.sum(tally.value_sum),
            nothing,
            nothing,
        )
        .where(*answers)
        .group_by(tally.question_id, tally.option_id, by_answered_group)
    )
    return union_all(responses, answered)


def _tallies(questionnaire_id: int, filters: Filters) -> tuple[list, dict]:
    """The two aggregates of the results page in one statement over the tally.

    Whole responses come as (group, audience, year, channel, responses, group name,
    group's expected) rows. Per question, the respondents (option ``ANSWERED``) come
    per group — small groups are suppressed per question — and every other option
    summed in SQL over the selected group(s), with the audience and year filters
    (by default the latest school year of the selected responses, when they span
    several). Returns (dimension rows, question → (answered by group, option sums)).
    """
    years = "all" if filters.all_years else "latest"
    if filters.school_year is not None:
        years = "one"
    statement = _tally_statement(filters.group_id is not None, bool(filters.audience), years)
    params = {
        name: value
        for name, value in (
            ("questionnaire_id", questionnaire_id),
            ("group_id", filters.group_id),
            ("audience", filters.audience or None),
            ("school_year", filters.school_year),
        )
        if value is not None
    }
    dimension_rows = []
    per_question: dict = {}
    for (
        question_id,
        option_id,
        group_id,
        audience,
        school_year,
        channel,
        count,
        value_sum,
        name,
        expected,
    ) in db.session.execute(statement, params):
        if question_id == WHOLE_RESPONSE:
            dimension_rows.append((group_id, audience, school_year, channel, count, name, expected))
            continue
        entry = per_question.get(question_id)
        if entry is None:
            entry = per_question[question_id] = ({}, {})
        if option_id == ANSWERED:
            entry[0][group_id] = (int(count), int(value_sum or 0))
        else:
            entry[1][option_id] = (int(count), int(value_sum or 0))
    return dimension_rows, per_question


def _counts(rows, filters: Filters, by: int, skip: str) -> dict:
    """Responses per value of column ``by`` (0 group, 1 audience, 2 year) among the
    rows that match every filter except ``skip``."""
    counts: dict = defaultdict(int)
    for row in rows:
        if skip != "group" and filters.group_id is not None and row[0] != filters.group_id:
            continue
        if skip != "audience" and filters.audience and row[1] != filters.audience:
            continue
        if skip != "year" and filters.school_year is not None and row[2] != filters.school_year:
            continue
        counts[row[by]] += int(row[4])
    return counts


def results(questionnaire: Questionnaire, filters: Filters) -> Results:
    """Everything the results page shows, in two queries: the structure and one
    aggregate over the tally (groups that have answers come with it)."""
    threshold = questionnaire.min_group_size
    structure = kept_question_views(questionnaire)
    rows, per_question = _tallies(questionnaire.id, filters)
    group_names = {row[0]: row[5] for row in rows if row[5] is not None}
    group_expected = {row[0]: row[6] for row in rows if row[5] is not None}

    year_counts = _counts(rows, filters, 2, "year")
    if filters.school_year is None and not filters.all_years and len(year_counts) > 1:
        # Answers of several school years: the latest one, unless all are asked for
        # (a response rate over several years would mean nothing).
        filters.school_year = max(year_counts)
    group_counts = _counts(rows, filters, 0, "group")
    audience_counts = _counts(rows, filters, 1, "audience")
    hidden_groups = suppress(group_counts, threshold)
    hidden_audiences = suppress(audience_counts, threshold)
    hidden_years = suppress(year_counts, threshold)
    total = sum(group_counts[key] for key in group_counts if _matches(key, filters.group_id))
    channels: dict[str, int] = defaultdict(int)
    for row in rows:
        if _row_matches(row, filters):
            channels[row[3]] += int(row[4])

    hidden_reason = None
    if filters.group_id is not None and filters.group_id in hidden_groups:
        hidden_reason = "group"
    elif filters.audience and filters.audience in hidden_audiences:
        hidden_reason = "audience"
    elif filters.school_year is not None and filters.school_year in hidden_years:
        hidden_reason = "year"
    elif total < threshold:
        hidden_reason = "total"

    question_results = []
    nothing: tuple = ({}, {})
    for number, question in enumerate(structure, start=1):
        answered, option_counts = per_question.get(question.id, nothing)
        if filters.group_id is None:
            respondents = value_total = 0
            for count, value_sum in answered.values():
                respondents += count
                value_total += value_sum
            hidden = hidden_reason is not None or respondents < threshold
        else:
            respondents, value_total = answered.get(filters.group_id, (0, 0))
            # Small groups of this question are hidden with their complement.
            hidden = (
                hidden_reason is not None
                or respondents < threshold
                or filters.group_id
                in suppress({key: count for key, (count, _s) in answered.items()}, threshold)
            )
        result = QuestionResult(question, number, respondents, hidden)
        if not hidden:
            result.positive = option_counts.get(POSITIVE, (0, 0))[0]
            result.options = []
            for option in question.options:
                count = option_counts.get(option.id, (0, 0))[0]
                result.options.append(OptionResult(option, count, share(count, respondents)))
            if question.kind is QuestionKind.SCALE and respondents:
                result.mean = value_total / respondents
        question_results.append(result)

    expected = questionnaire.expected_respondents
    if filters.group_id is not None:
        expected = group_expected.get(filters.group_id)
    elif filters.audience and filters.audience != questionnaire.audience.value:
        expected = None
    if filters.school_year is None and len(year_counts) > 1:
        expected = None
        group_expected = {}
    return Results(
        questionnaire=questionnaire,
        filters=filters,
        threshold=threshold,
        total=total,
        hidden_reason=hidden_reason,
        questions=question_results,
        groups=[
            Dimension(
                key,
                group_names.get(key, NO_GROUP_LABEL),
                count,
                key in hidden_groups,
                group_expected.get(key),
            )
            for key, count in sorted(
                group_counts.items(), key=lambda item: (item[0] == NO_GROUP, item[0])
            )
        ],
        audiences=[
            Dimension(key, SurveyAudience(key).label, count, key in hidden_audiences)
            for key, count in sorted(audience_counts.items())
        ],
        years=[
            Dimension(key, school_year_label(key), count, key in hidden_years)
            for key, count in sorted(year_counts.items())
        ],
        channels=dict(channels),
        expected=expected,
        group_names=group_names,
    )


def _matches(value, wanted) -> bool:
    return wanted is None or value == wanted


def _row_matches(row, filters: Filters) -> bool:
    return (
        _matches(row[0], filters.group_id)
        and (not filters.audience or row[1] == filters.audience)
        and _matches(row[2], filters.school_year)
    )


def _question_tally(questionnaire_id: int, filters: Filters) -> dict:
    """question → group → option → (count, value sum), audience and year filtered in SQL."""
    tally = SurveyTally
    conditions = [tally.questionnaire_id == questionnaire_id, tally.question_id != WHOLE_RESPONSE]
    if filters.audience:
        conditions.append(tally.audience == filters.audience)
    if filters.school_year is not None:
        conditions.append(tally.school_year == filters.school_year)
    found: dict = defaultdict(lambda: defaultdict(dict))
    for question_id, option_id, group_id, count, value_sum in db.session.execute(
        select(
            tally.question_id,
            tally.option_id,
            tally.group_id,
            func.sum(tally.count),
            func.sum(tally.value_sum),
        )
        .where(*conditions)
        .group_by(tally.question_id, tally.option_id, tally.group_id)
    ):
        found[question_id][group_id][option_id] = (int(count), int(value_sum or 0))
    return found


# Breakdown by group.


@dataclass
class GroupCell:
    respondents: int
    hidden: bool
    share_positive: float | None = None
    mean: float | None = None


@dataclass
class GroupRow:
    question: SurveyQuestion
    number: int
    cells: dict[int, GroupCell]


def group_breakdown(questionnaire: Questionnaire, filters: Filters) -> tuple[list, list, Results]:
    """Per question and group: respondents, share of positive answers, mean of a scale.
    Groups hidden as a whole, and per question, by ``suppress``."""
    view_filters = Filters(filters.audience, None, filters.school_year, filters.all_years)
    view = results(questionnaire, view_filters)
    groups = [dimension for dimension in view.groups if dimension.count > 0]
    per_question = _question_tally(questionnaire.id, view_filters)
    threshold = questionnaire.min_group_size
    hidden_groups = {dimension.value for dimension in groups if dimension.hidden}
    rows = []
    for result in view.questions:
        question = result.question
        if question.kind is QuestionKind.OPEN:
            continue
        by_group = per_question.get(question.id, {})
        respondents = {
            dimension.value: by_group.get(dimension.value, {}).get(ANSWERED, (0, 0))[0]
            for dimension in groups
        }
        hidden = suppress(respondents, threshold) | hidden_groups
        cells = {}
        for dimension in groups:
            counts = by_group.get(dimension.value, {})
            count, value_sum = counts.get(ANSWERED, (0, 0))
            if dimension.value in hidden or count < threshold or view.hidden:
                cells[dimension.value] = GroupCell(count, True)
                continue
            cells[dimension.value] = GroupCell(
                count,
                False,
                share(counts.get(POSITIVE, (0, 0))[0], count) if question.has_positive else None,
                value_sum / count if question.kind is QuestionKind.SCALE and count else None,
            )
        rows.append(GroupRow(question, result.number, cells))
    return groups, rows, view


# Open answers.


def like_pattern(needle: str) -> str:
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def open_answers(
    question: SurveyQuestion,
    filters: Filters,
    search: str = "",
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[str], int]:
    """Written answers (open ones, or «інше»), newest first, without their group."""
    conditions = [
        SurveyAnswer.question_id == question.id,
        SurveyAnswer.text.is_not(None),
        SurveyAnswer.text != "",
    ]
    if filters.audience:
        conditions.append(SurveyResponse.audience == filters.audience)
    if filters.group_id is not None:
        if filters.group_id == NO_GROUP:
            conditions.append(SurveyResponse.group_id.is_(None))
        else:
            conditions.append(SurveyResponse.group_id == filters.group_id)
    if filters.school_year is not None:
        conditions.append(SurveyResponse.school_year == filters.school_year)
    needle = search.strip().casefold()[:200]
    if needle:
        conditions.append(SurveyAnswer.search_text.like(like_pattern(needle), escape="\\"))
    base = (
        select(SurveyAnswer.text)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(*conditions)
    )
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    texts = db.session.scalars(
        base.order_by(SurveyAnswer.id.desc()).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return list(texts), int(total or 0)


# Dynamics over school years (all editions of the questionnaire).


@dataclass
class YearPoint:
    respondents: int
    hidden: bool
    share_positive: float | None = None
    mean: float | None = None


@dataclass
class DynamicsRow:
    question: SurveyQuestion
    number: int
    points: dict[int, YearPoint]


def dynamics(questionnaire: Questionnaire) -> tuple[list[Dimension], list[DynamicsRow], list]:
    """Per school year (of the answers) and question of this questionnaire, followed
    through its earlier editions by ``lineage_key``: respondents, share of positive
    answers and the mean of a scale."""
    editions = db.session.execute(
        select(Questionnaire.id, Questionnaire.school_year, Questionnaire.title)
        .where(Questionnaire.series_key == questionnaire.series_key)
        .order_by(Questionnaire.school_year, Questionnaire.id)
    ).all()
    edition_ids = [row.id for row in editions]
    tally = SurveyTally
    year_totals = dict(
        db.session.execute(
            select(tally.school_year, func.sum(tally.count))
            .where(tally.questionnaire_id.in_(edition_ids), tally.question_id == WHOLE_RESPONSE)
            .group_by(tally.school_year)
        ).all()
    )
    threshold = questionnaire.min_group_size
    hidden_years = suppress({year: int(count) for year, count in year_totals.items()}, threshold)
    years = [
        Dimension(year, school_year_label(year), int(count), year in hidden_years)
        for year, count in sorted(year_totals.items())
    ]
    found: dict = defaultdict(lambda: defaultdict(dict))
    positive_kind: dict[str, bool] = {}
    for lineage, year, option_id, count, value_sum in db.session.execute(
        select(
            SurveyQuestion.lineage_key,
            tally.school_year,
            tally.option_id,
            func.sum(tally.count),
            func.sum(tally.value_sum),
        )
        .join(SurveyQuestion, SurveyQuestion.id == tally.question_id)
        .where(tally.questionnaire_id.in_(edition_ids), tally.option_id.in_([ANSWERED, POSITIVE]))
        .group_by(SurveyQuestion.lineage_key, tally.school_year, tally.option_id)
    ):
        found[lineage][year][option_id] = (int(count), int(value_sum or 0))
    rows = []
    for number, question in enumerate(question_views(questionnaire.id), start=1):
        if question.kind is QuestionKind.OPEN:
            continue
        positive_kind[question.lineage_key] = question.has_positive
        points = {}
        for year in years:
            counts = found[question.lineage_key].get(year.value, {})
            respondents, value_sum = counts.get(ANSWERED, (0, 0))
            if year.hidden or respondents < threshold:
                points[year.value] = YearPoint(respondents, True)
                continue
            points[year.value] = YearPoint(
                respondents,
                False,
                share(counts.get(POSITIVE, (0, 0))[0], respondents)
                if question.has_positive
                else None,
                value_sum / respondents if question.kind is QuestionKind.SCALE else None,
            )
        rows.append(DynamicsRow(question, number, points))
    return years, rows, editions


# Evidence for the self-assessment.


@dataclass(frozen=True)
class SurveyEvidence:
    """What one questionnaire question says about one indicator in a period.

    ``share_positive`` (0..1) is the share of respondents who gave a positive
    answer: the upper half of a scale (3 of 3, 3–4 of 4, 4–5 of 5), «так» of
    «так / частково / ні», or an option marked positive (single, multiple,
    semi-closed: at least one positive option ticked). When the link names one
    option, it is the share of respondents who chose that option. It is None for
    open questions, for questions without positive options, and when fewer
    people answered than the questionnaire's anonymity threshold.
    """

    questionnaire_id: int
    questionnaire_title: str
    question_id: int
    question_text: str
    option_label: str | None
    respondents: int
    share_positive: float | None
    results_url: str


def survey_evidence_for_indicators(
    indicator_ids, start: date, end: date
) -> dict[int, list[SurveyEvidence]]:
    """indicator id → evidence from the questions (or options) linked to it, counting
    the responses received from ``start`` to ``end`` inclusive. Runs in the current
    institution's scope; four queries whatever the number of indicators."""
    indicator_ids = {int(value) for value in indicator_ids}
    if not indicator_ids:
        return {}
    links = db.session.execute(
        select(
            SurveyIndicatorLink.catalog_item_id,
            SurveyIndicatorLink.option_id,
            SurveyQuestion.id,
            SurveyQuestion.text,
            SurveyQuestion.kind,
            Questionnaire.id,
            Questionnaire.title,
            Questionnaire.min_group_size,
            SurveyOption.label,
        )
        .join(SurveyQuestion, SurveyQuestion.id == SurveyIndicatorLink.question_id)
        .join(Questionnaire, Questionnaire.id == SurveyQuestion.questionnaire_id)
        .outerjoin(SurveyOption, SurveyOption.id == SurveyIndicatorLink.option_id)
        .where(SurveyIndicatorLink.catalog_item_id.in_(indicator_ids))
        .order_by(Questionnaire.id, SurveyQuestion.position, SurveyQuestion.id)
    ).all()
    if not links:
        return {}
    question_ids = {link[2] for link in links}
    in_period = (
        SurveyAnswer.question_id.in_(question_ids),
        SurveyResponse.submitted_on >= start,
        SurveyResponse.submitted_on <= end,
    )
    joined = (
        select()
        .select_from(SurveyAnswer)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .outerjoin(SurveyOption, SurveyOption.id == SurveyAnswer.option_id)
    )
    per_question = {
        question_id: (int(respondents), int(positive))
        for question_id, respondents, positive in db.session.execute(
            joined.add_columns(
                SurveyAnswer.question_id,
                func.count(func.distinct(SurveyAnswer.response_id)),
                func.count(
                    func.distinct(case((SurveyOption.positive.is_(True), SurveyAnswer.response_id)))
                ),
            )
            .where(*in_period)
            .group_by(SurveyAnswer.question_id)
        )
    }
    per_option = {
        option_id: int(count)
        for option_id, count in db.session.execute(
            joined.add_columns(
                SurveyAnswer.option_id, func.count(func.distinct(SurveyAnswer.response_id))
            )
            .where(*in_period, SurveyAnswer.option_id.in_({link[1] for link in links if link[1]}))
            .group_by(SurveyAnswer.option_id)
        )
    }
    has_positive = set(
        db.session.scalars(
            select(SurveyOption.question_id)
            .where(SurveyOption.question_id.in_(question_ids), SurveyOption.positive.is_(True))
            .distinct()
        )
    )
    evidence: dict[int, list[SurveyEvidence]] = defaultdict(list)
    for item_id, option_id, question_id, text, kind, qn_id, title, threshold, label in links:
        respondents, positive = per_question.get(question_id, (0, 0))
        if respondents < threshold or kind is QuestionKind.OPEN:
            value = None
        elif option_id is not None:
            value = share(per_option.get(option_id, 0), respondents)
        elif question_id in has_positive:
            value = share(positive, respondents)
        else:
            value = None
        evidence[item_id].append(
            SurveyEvidence(
                questionnaire_id=qn_id,
                questionnaire_title=title,
                question_id=question_id,
                question_text=text,
                option_label=label,
                respondents=respondents,
                share_positive=value,
                results_url=_results_url(qn_id),
            )
        )
    return dict(evidence)


def _results_url(questionnaire_id: int) -> str:
    endpoint = "institution.surveys.results"
    if has_request_context() and "institution" in g:
        return url_for(endpoint, survey_questionnaire_id=questionnaire_id)
    slug = db.session.scalar(select(Institution.slug))
    if has_request_context():
        return url_for(endpoint, institution_slug=slug, survey_questionnaire_id=questionnaire_id)
    with current_app.test_request_context():
        return url_for(endpoint, institution_slug=slug, survey_questionnaire_id=questionnaire_id)


# Lists.


def response_counts(questionnaire_ids) -> dict[int, int]:
    ids = list(questionnaire_ids)
    if not ids:
        return {}
    tally = SurveyTally
    return {
        questionnaire_id: int(count)
        for questionnaire_id, count in db.session.execute(
            select(tally.questionnaire_id, func.sum(tally.count))
            .where(tally.questionnaire_id.in_(ids), tally.question_id == WHOLE_RESPONSE)
            .group_by(tally.questionnaire_id)
        )
    }


def question_kinds(questionnaire_ids) -> dict[int, set[QuestionKind]]:
    ids = list(questionnaire_ids)
    found: dict[int, set] = defaultdict(set)
    if ids:
        for questionnaire_id, kind in db.session.execute(
            select(SurveyQuestion.questionnaire_id, SurveyQuestion.kind)
            .where(SurveyQuestion.questionnaire_id.in_(ids))
            .distinct()
        ):
            found[questionnaire_id].add(kind)
    return found


# The founder's comparison of an offered questionnaire.


@dataclass
class ComparedOption:
    position: int
    label: str
    #: institution id → share of its respondents (None: hidden or no answers).
    shares: dict[int, float | None]
    overall: float | None


@dataclass
class ComparedQuestion:
    key: str
    text: str
    kind: QuestionKind
    respondents: dict[int, int]
    hidden: set[int]
    options: list[ComparedOption]


@dataclass
class OfferComparison:
    offer: SurveyOffer
    #: (institution id, short name, responses, hidden)
    institutions: list[tuple[int, str, int, bool]]
    questions: list[ComparedQuestion]
    threshold: int


def offer_comparison(offer: SurveyOffer, school_year: int | None = None) -> OfferComparison:
    """Per institution, per question (by its key in the offer) and option: the share of
    respondents who chose it. Runs in the founder's scope; institutions with fewer
    respondents than the threshold are hidden, with complementary suppression."""
    tally = SurveyTally
    conditions = [Questionnaire.offer_id == offer.id]
    if school_year is not None:
        conditions.append(tally.school_year == school_year)
    rows = db.session.execute(
        select(
            Questionnaire.institution_id,
            tally.question_id,
            tally.option_id,
            func.sum(tally.count),
        )
        .join(Questionnaire, Questionnaire.id == tally.questionnaire_id)
        .where(*conditions)
        .group_by(Questionnaire.institution_id, tally.question_id, tally.option_id)
    ).all()
    questions = db.session.execute(
        select(
            SurveyQuestion.id, SurveyQuestion.source_key, SurveyQuestion.text, SurveyQuestion.kind
        )
        .join(Questionnaire, Questionnaire.id == SurveyQuestion.questionnaire_id)
        .where(Questionnaire.offer_id == offer.id)
    ).all()
    options = db.session.execute(
        select(SurveyOption.id, SurveyOption.question_id, SurveyOption.position, SurveyOption.label)
        .join(SurveyQuestion, SurveyQuestion.id == SurveyOption.question_id)
        .join(Questionnaire, Questionnaire.id == SurveyQuestion.questionnaire_id)
        .where(Questionnaire.offer_id == offer.id)
    ).all()
    institutions = db.session.execute(
        select(Institution.id, Institution.short_name).order_by(Institution.short_name)
    ).all()
    threshold = DEFAULT_MIN_GROUP_SIZE
    key_of = {row.id: row.source_key for row in questions}
    option_of = {row.id: (row.position, row.label) for row in options}
    responses: dict[int, int] = defaultdict(int)
    respondents: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    chosen: dict[str, dict[int, dict[int, int]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(int))
    )
    for institution_id, question_id, option_id, count in rows:
        count = int(count)
        if question_id == WHOLE_RESPONSE:
            responses[institution_id] += count
            continue
        key = key_of.get(question_id)
        if key is None:
            continue
        if option_id == ANSWERED:
            respondents[key][institution_id] += count
        elif option_id > 0 and option_id in option_of:
            chosen[key][option_of[option_id][0]][institution_id] += count
    hidden_institutions = suppress(dict(responses), threshold)
    first_of_key: dict[str, tuple] = {}
    for row in sorted(questions, key=lambda row: row.id):
        first_of_key.setdefault(row.source_key, row)
    labels: dict[str, dict[int, str]] = defaultdict(dict)
    for row in sorted(options, key=lambda row: row.id):
        key = key_of.get(row.question_id)
        if key is not None:
            labels[key].setdefault(row.position, row.label)
    compared = []
    for key in sorted(first_of_key, key=_key_order):
        row = first_of_key[key]
        counts = dict(respondents[key])
        hidden = suppress(counts, threshold) | hidden_institutions
        shown_total = sum(count for institution, count in counts.items())
        compared_options = []
        for position, label in sorted(labels[key].items()):
            shares = {}
            for institution_id, _name in institutions:
                n = counts.get(institution_id, 0)
                shares[institution_id] = (
                    None
                    if institution_id in hidden or n < threshold
                    else share(chosen[key][position].get(institution_id, 0), n)
                )
            overall = (
                share(sum(chosen[key][position].values()), shown_total)
                if shown_total >= threshold
                else None
            )
            compared_options.append(ComparedOption(position, label, shares, overall))
        compared.append(ComparedQuestion(key, row.text, row.kind, counts, hidden, compared_options))
    return OfferComparison(
        offer,
        [
            (
                institution_id,
                name,
                responses.get(institution_id, 0),
                institution_id in hidden_institutions,
            )
            for institution_id, name in institutions
        ],
        compared,
        threshold,
    )


def _key_order(key: str):
    _, _, numbers = key.partition(":")
    return tuple(int(part) if part.isdigit() else 0 for part in numbers.split("."))
