"""Forms of the catalog: wording and methods, own items, imports, updates, offers."""

from flask_wtf.file import FileField, FileRequired
from wtforms import (
    FieldList,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from dozq.catalog.importers.tables import ROLE_LABELS
from dozq.catalog.models import METHOD_LABELS, ORIGIN_LABELS, Origin
from dozq.web.forms import Form, VersionField, choices, optional_text

MAX_TEXT = 4000


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes (the templates render them as a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, *args, message: str = "Оберіть значення з переліку.", **kwargs):
        super().__init__(*args, **kwargs)
        self.message = message

    def pre_validate(self, form):
        allowed = {choice.value for choice in self.choices}
        if any(value not in allowed for value in self.data or []):
            raise ValidationError(self.message)


def _methods_field():
    return CheckboxesField(
        "Методи збору інформації",
        message="Оберіть методи з переліку.",
        choices=choices(METHOD_LABELS),
        validators=[Optional()],
        description="Інтерв’ю та фокус-група — різновиди опитування.",
    )


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _text_field(label: str):
    return TextAreaField(
        label,
        filters=[_strip],
        validators=[DataRequired("Введіть формулювання."), Length(max=MAX_TEXT)],
    )


class ItemForm(Form):
    """Wording of an item (and methods of an indicator), with its version."""

    text = _text_field("Формулювання")
    methods = _methods_field()
    version = VersionField()
    submit = SubmitField("Зберегти")

    def __init__(self, *args, indicator: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not indicator:
            del self.methods


class NewItemForm(Form):
    code = StringField(
        "Код",
        filters=[_strip],
        validators=[
            DataRequired("Введіть код."),
            Length(max=40),
            Regexp(r"^\S+$", message="Код пишуть без пробілів, наприклад 1.1.3."),
        ],
        description="Унікальний у каталозі; за ним порівнюють версії каталогу.",
    )
    text = _text_field("Формулювання")
    methods = _methods_field()
    submit = SubmitField("Додати")

    def __init__(self, *args, indicator: bool, code_taken, **kwargs):
        super().__init__(*args, **kwargs)
        self._code_taken = code_taken
        if not indicator:
            del self.methods

    def validate_code(self, field):
        if field.data and self._code_taken(field.data.strip()):
            raise ValidationError(f"Код «{field.data.strip()}» уже є в каталозі.")


class TemplateChoiceForm(Form):
    """A template version chosen on a page (adopt, offer)."""

    template_id = IntegerField(widget=HiddenInput(), validators=[InputRequired("Оберіть каталог.")])
    note = StringField("Примітка для закладів", validators=optional_text(500))
    submit = SubmitField("Обрати")


class UploadForm(Form):
    file = FileField(
        "Файл каталогу",
        validators=[FileRequired("Оберіть файл.")],
        description=(
            "Таблиця додатка (DOCX, XLSX або CSV) зі стовпцями вимог, критеріїв та "
            "індикаторів, або YAML у форматі dozq."
        ),
    )
    submit = SubmitField("Переглянути")


class PreviewForm(Form):
    """The staged file, the corrected columns and the name to save under."""

    staged = HiddenField()
    name = StringField(
        "Назва каталогу",
        filters=[_strip],
        validators=[DataRequired("Вкажіть назву каталогу."), Length(max=200)],
    )
    origin = SelectField("Походження", choices=choices(ORIGIN_LABELS))
    columns = FieldList(SelectField("Роль стовпця", choices=choices(ROLE_LABELS)))
    preview = SubmitField("Оновити перегляд")
    save = SubmitField("Зберегти каталог")

    def __init__(self, *args, platform: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not platform:
            del self.origin
        else:
            self.origin.data = self.origin.data or Origin.IMPORTED.value


class UpdatesForm(Form):
    template_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    take = CheckboxesField(
        "Зміни",
        validators=[Optional()],
        message="Перелік змін застарів: оновіть сторінку й оберіть зміни знову.",
    )
    submit = SubmitField("Прийняти позначені зміни")

    def __init__(self, *args, keys=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.take.choices = choices({key: key for key in keys})


__all__ = [
    "ItemForm",
    "NewItemForm",
    "PreviewForm",
    "TemplateChoiceForm",
    "UpdatesForm",
    "UploadForm",
]
