"""Forms of the regulation workflow; messages are Ukrainian and sit beside their fields."""

from wtforms import (
    DateField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from dozq.regulation.markup import MAX_LENGTH
from dozq.regulation.services import MAX_COMMENT, MAX_NAME, MAX_REASON
from dozq.web.forms import Form, VersionField, choices, optional_text, required

MARKUP_HINT = (
    "Абзаци розділяйте порожнім рядком; пункт переліку починайте з «- ». "
    "Абзаци нумеруються в документі автоматично."
)
DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]
DATE_MESSAGE = "Введіть дату, наприклад 28.08.2025."


class ActionForm(Form):
    """A button that only needs the form's protection (CSRF)."""


class SectionForm(Form):
    body = TextAreaField(
        "Текст розділу",
        validators=[required("Розділ не може бути порожнім."), Length(max=MAX_LENGTH)],
        description=MARKUP_HINT,
        render_kw={"rows": 16},
    )
    version = VersionField()
    submit = SubmitField("Зберегти розділ")


class CommentForm(Form):
    """A staff member's proposal; the section is chosen from the text under discussion."""

    section = SelectField("Розділ", validators=[required("Оберіть розділ.")])
    text = TextAreaField(
        "Пропозиція або зауваження",
        validators=[required("Напишіть пропозицію або зауваження."), Length(max=MAX_COMMENT)],
        render_kw={"rows": 5},
    )
    submit = SubmitField("Надіслати пропозицію")

    def set_sections(self, sections) -> None:
        self.section.choices = choices(
            {str(s.id): f"{number}. {s.title}" for number, s in enumerate(sections, start=1)}
        )


class PublicCommentForm(CommentForm):
    author_name = StringField(
        "Хто ви (необов'язково)",
        validators=optional_text(MAX_NAME),
        description="Наприклад: «мама Олесі, група «Зайчики»». Можна залишити порожнім.",
    )


class DecisionForm(Form):
    decision = RadioField(
        "Рішення",
        choices=choices({"accept": "Врахувати", "decline": "Відхилити"}),
        validators=[required("Оберіть рішення.")],
    )
    reason = TextAreaField(
        "Пояснення",
        validators=optional_text(MAX_REASON),
        description="Обов'язкове, якщо пропозицію відхилено.",
        render_kw={"rows": 2},
    )
    submit = SubmitField("Зберегти рішення")


class RevisionForm(Form):
    note = StringField(
        "Що доопрацьовується (необов'язково)",
        validators=optional_text(300),
        description="Наприклад: «Доопрацьовано за пропозиціями батьків».",
    )
    submit = SubmitField("Завершити обговорення й доопрацювати")


class CouncilForm(Form):
    meeting = SelectField("Засідання педагогічної ради", validators=[Optional()])
    protocol_number = StringField(
        "Номер протоколу",
        validators=optional_text(60),
        description="Як записано в протоколі, наприклад «2» або «108-22/2».",
    )
    held_on = DateField(
        "Дата засідання",
        format=DATE_FORMATS,
        validators=[Optional()],
        description="Якщо обрано засідання, номер і дату можна не заповнювати.",
    )
    submit = SubmitField("Зафіксувати схвалення")

    def set_meetings(self, meetings) -> None:
        self.meeting.choices = choices(
            {"": "— нове засідання (за номером і датою нижче) —"}
            | {str(m.id): m.label for m in meetings}
        )


class OrderForm(Form):
    order_number = StringField(
        "Номер наказу",
        validators=optional_text(60),
        description="Як записано в наказі, наприклад «32-о/д».",
    )
    order_date = DateField("Дата наказу", format=DATE_FORMATS, validators=[Optional()])
    submit = SubmitField("Зафіксувати затвердження")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RecomposeForm(Form):
    keys = MultiCheckboxField("Що оновити")
    submit = SubmitField("Оновити позначене")


def date_message(form) -> None:
    """WTForms' date error in our words."""
    for field in (getattr(form, "held_on", None), getattr(form, "order_date", None)):
        if field is not None and field.errors:
            field.errors[:] = [DATE_MESSAGE]
