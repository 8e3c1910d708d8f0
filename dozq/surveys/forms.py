"""Staff forms (WTForms) and the respondents' form, which is built from the
questionnaire itself and checked here field by field."""

import re
from dataclasses import dataclass, field

from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from dozq.surveys.models import (
    AUDIENCE_LABELS,
    QUESTION_KIND_LABELS,
    QuestionKind,
)
from dozq.surveys.services import Answer, _clean
from dozq.web.forms import Form, VersionField, choices, optional_text, required

MAX_OPEN_ANSWER = 3000
MAX_OTHER_ANSWER = 500
META_FIELDS = frozenset({"csrf_token", "_key", "_group", "_audience"})
QUESTION_FIELD = re.compile(r"q(\d{1,12})(_other)?")
SUBMISSION_KEY = re.compile(r"[A-Za-z0-9_-]{16,43}")

SCALE_POINT_LABELS = {3: "3 бали", 4: "4 бали", 5: "5 балів"}


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _lines_limit(max_lines: int, max_length: int):
    def check(form, field):
        lines = [line for line in (field.data or "").splitlines() if line.strip()]
        if len(lines) > max_lines:
            raise ValidationError(f"Не більше {max_lines} рядків.")
        if any(len(line.strip()) > max_length for line in lines):
            raise ValidationError(f"Рядок довший за {max_length} символів.")

    return check


class QuestionnaireForm(Form):
    title = StringField("Назва анкети", validators=[required(), Length(max=300)])
    audience = SelectField(
        "Для кого анкета",
        choices=choices(AUDIENCE_LABELS),
        validators=[required("Оберіть, для кого анкета.")],
    )
    introduction = TextAreaField(
        "Вступне звернення до респондентів",
        validators=optional_text(5000),
        description="Мета опитування, скільки часу займе, як використають результати, "
        "що анкета анонімна.",
    )
    submit = SubmitField("Створити анкету")


class SettingsForm(QuestionnaireForm):
    min_group_size = IntegerField(
        "Найменша кількість респондентів для показу результатів",
        validators=[
            InputRequired("Вкажіть число."),
            NumberRange(min=3, max=100, message="Від 3 до 100."),
        ],
        description="Результати групи, аудиторії чи року, де відповідей менше, буде "
        "приховано — так само, як і результати, які можна з них обчислити.",
    )
    expected_respondents = IntegerField(
        "Очікувана кількість респондентів",
        validators=[Optional(), NumberRange(min=1, max=100000, message="Від 1 до 100000.")],
        description="Наприклад, кількість родин. За нею обчислюється частка тих, хто відповів.",
    )
    version = VersionField()
    submit = SubmitField("Зберегти")


class SectionForm(Form):
    title = StringField("Назва розділу", validators=[required(), Length(max=300)])
    submit = SubmitField("Додати розділ")


class SectionEditForm(SectionForm):
    version = VersionField()
    submit = SubmitField("Зберегти")


class NewQuestionForm(Form):
    section = SelectField("Розділ", coerce=int, validators=[required("Оберіть розділ.")])
    kind = SelectField(
        "Тип питання",
        choices=choices(QUESTION_KIND_LABELS),
        validators=[required("Оберіть тип питання.")],
    )
    text = TextAreaField("Текст питання", validators=[required(), Length(max=2000)])
    required_answer = BooleanField("Обов’язкове питання", default=True)
    options = TextAreaField(
        "Варіанти відповіді",
        validators=[Optional(), _lines_limit(20, 300)],
        description="Кожен варіант з нового рядка (для вибору одного чи кількох варіантів "
        "і для напівзакритого питання; поле «інше: …» додається само).",
    )
    scale_points = SelectField(
        "Кількість балів шкали", coerce=int, choices=choices(SCALE_POINT_LABELS), default=4
    )
    scale_labels = TextAreaField(
        "Підписи балів шкали",
        validators=[Optional(), _lines_limit(5, 300)],
        description="Від найнижчого до найвищого, кожен з нового рядка. Якщо залишити "
        "порожнім, буде використано стандартні підписи.",
    )
    submit = SubmitField("Додати питання")

    def __init__(self, sections, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.section.choices = choices({section.id: section.title for section in sections})


class QuestionForm(NewQuestionForm):
    hint = StringField("Підказка під питанням", validators=optional_text(500))
    other_label = StringField(
        "Підпис поля «інше»", validators=optional_text(300), default="Інше (зазначте)"
    )
    allow_many = BooleanField("Можна обрати кілька варіантів (напівзакрите питання)")
    positive = MultiCheckboxField(
        "Позитивні відповіді",
        coerce=int,
        validate_choice=True,
        description="Частка респондентів, які обрали позитивну відповідь, стає свідченням "
        "для пов’язаних індикаторів. Для шкал позитивна — верхня половина шкали.",
    )
    indicators = MultiCheckboxField(
        "Індикатори, для яких питання дає свідчення", coerce=int, validate_choice=True
    )
    version = VersionField()
    submit = SubmitField("Зберегти питання")

    def __init__(self, sections, options, indicators, *args, **kwargs):
        super().__init__(sections, *args, **kwargs)
        self.positive.choices = choices({option.id: option.label for option in options})
        self.indicators.choices = choices(
            {item.id: f"{item.code} — {item.text}" for item in indicators}
        )


class OptionIndicatorForm(Form):
    option_id = SelectField("Варіант відповіді", coerce=int, validate_choice=False)
    indicator_id = SelectField("Індикатор", coerce=int, validate_choice=False)
    submit = SubmitField("Пов’язати варіант з індикатором")


class PublishForm(Form):
    opens_on = DateField("Початок збору відповідей", validators=[required("Вкажіть дату.")])
    closes_on = DateField("Завершення збору відповідей", validators=[required("Вкажіть дату.")])
    submit = SubmitField("Опублікувати")

    def validate_closes_on(self, field):
        if self.opens_on.data and field.data and field.data < self.opens_on.data:
            raise ValidationError("Дата завершення не може бути раніше за дату початку.")


class LinkForm(Form):
    group = SelectField("Група", coerce=int, validate_choice=False)
    audience = SelectField("Респонденти", choices=choices(AUDIENCE_LABELS))
    submit = SubmitField("Створити посилання")


class CodesForm(Form):
    count = IntegerField(
        "Скільки кодів створити",
        validators=[
            InputRequired("Вкажіть число."),
            NumberRange(min=1, max=500, message="Від 1 до 500."),
        ],
        description="По одному на родину: кожен код дозволяє відповісти лише один раз.",
    )
    group = SelectField("Група", coerce=int, validate_choice=False)
    submit = SubmitField("Створити коди")


class GroupForm(Form):
    name = StringField("Назва групи", validators=[required(), Length(max=120)])
    expected_respondents = IntegerField(
        "Кількість родин (дітей) у групі",
        validators=[Optional(), NumberRange(min=1, max=1000, message="Від 1 до 1000.")],
    )
    submit = SubmitField("Додати групу")


class GroupEditForm(GroupForm):
    version = VersionField()
    submit = SubmitField("Зберегти")


class OfferForm(Form):
    key = SelectField("Анкета з бібліотеки", validators=[required("Оберіть анкету.")])
    note = TextAreaField("Примітка для закладів", validators=optional_text(2000))
    submit = SubmitField("Запропонувати всім закладам")


def group_choices(groups, everyone: str = "Усі (без групи)") -> list:
    return choices({0: everyone, **{group.id: group.name for group in groups}})


# The respondents' form.


@dataclass
class ParsedSubmission:
    answers: list[Answer] = field(default_factory=list)
    #: question id → the message shown beside it.
    errors: dict[int, str] = field(default_factory=dict)
    form_errors: list[str] = field(default_factory=list)
    #: What the person entered, to show it again: chosen option ids, texts by field.
    chosen: dict[int, set[int]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    key: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and not self.form_errors


UNKNOWN_FIELDS = (
    "Форма містить поля, яких немає в цій анкеті. Оновіть сторінку й заповніть анкету ще раз."
)
MISSING = "Дайте відповідь на це питання."
NOT_AN_OPTION = "Оберіть один із запропонованих варіантів."
ONLY_ONE = "Оберіть лише один варіант."
OTHER_EMPTY = "Напишіть свою відповідь у полі «інше»."
OTHER_CONFLICT = "Оберіть лише один варіант: або один із запропонованих, або «інше»."
MALFORMED = "Відповідь надіслано в неправильному вигляді. Оновіть сторінку й спробуйте ще раз."


def parse_submission(questions: list, form) -> ParsedSubmission:
    """Check every answer against its question; nothing is trusted, nothing is stored."""
    parsed = ParsedSubmission()
    by_id = {question.id: question for question in questions}
    for name in form:
        if name in META_FIELDS:
            continue
        match = QUESTION_FIELD.fullmatch(name)
        question = by_id.get(int(match.group(1))) if match else None
        other_field = bool(match and match.group(2))
        if question is None or (other_field and not _other_option(question)):
            parsed.form_errors = [UNKNOWN_FIELDS]
            break
    key = form.getlist("_key")
    if len(key) == 1 and SUBMISSION_KEY.fullmatch(key[0]):
        parsed.key = key[0]
    for question in questions:
        error = _parse_question(question, form, parsed)
        if error:
            parsed.errors[question.id] = error
    return parsed


def _other_option(question):
    return next((option for option in question.options if option.is_other), None)


def _parse_question(question, form, parsed: ParsedSubmission) -> str | None:
    name = f"q{question.id}"
    raw = form.getlist(name)
    if question.kind is QuestionKind.OPEN:
        if len(raw) > 1:
            return MALFORMED
        text = _clean(raw[0]) if raw else ""
        parsed.texts[name] = text[: MAX_OPEN_ANSWER + 1]
        if len(text) > MAX_OPEN_ANSWER:
            return f"Відповідь задовга: не більше {MAX_OPEN_ANSWER} символів."
        if not text:
            return MISSING if question.required else None
        parsed.answers.append(Answer(question, text=text))
        return None
    options = {option.id: option for option in question.options}
    chosen: list[int] = []
    error = None
    for value in raw:
        value = value.strip()
        if not value.isascii() or not value.isdigit() or int(value) not in options:
            error = NOT_AN_OPTION
            continue
        if int(value) not in chosen:
            chosen.append(int(value))
    parsed.chosen[question.id] = set(chosen)
    other = _other_option(question)
    other_text = ""
    if other is not None:
        other_raw = form.getlist(f"{name}_other")
        if len(other_raw) > 1:
            return MALFORMED
        other_text = _clean(other_raw[0]) if other_raw else ""
        parsed.texts[f"{name}_other"] = other_text[: MAX_OTHER_ANSWER + 1]
        if len(other_text) > MAX_OTHER_ANSWER:
            return f"Відповідь «інше» задовга: не більше {MAX_OTHER_ANSWER} символів."
        if other_text and other.id not in chosen:
            if chosen and not question.is_multiple:
                return OTHER_CONFLICT
            chosen.append(other.id)
            parsed.chosen[question.id].add(other.id)
        if other.id in chosen and not other_text:
            return OTHER_EMPTY
    if error:
        return error
    if len(chosen) > 1 and not question.is_multiple:
        return ONLY_ONE
    if not chosen:
        return MISSING if question.required else None
    parsed.answers.append(
        Answer(
            question,
            options=[options[option_id] for option_id in chosen],
            other_text=other_text if other is not None and other.id in chosen else None,
        )
    )
    return None
