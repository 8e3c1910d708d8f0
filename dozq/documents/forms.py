"""Forms of the documents area: generating, signed scans, own templates."""

from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, SubmitField

from dozq.documents.models import KIND_LABELS
from dozq.web.forms import Form, choices, required

KIND_CHOICES = choices({kind.value: label for kind, label in KIND_LABELS.items()})


class GenerateForm(Form):
    kind = SelectField("Документ", choices=KIND_CHOICES, validators=[required("Оберіть документ.")])
    #: The edition, cycle or questionnaire the document is about; empty for the usual one.
    subject_id = HiddenField()
    submit = SubmitField("Створити документ")


class SignedForm(Form):
    file = FileField(
        "Скан підписаного примірника",
        validators=[FileRequired("Оберіть файл.")],
        description="ПДФ або фото (JPEG, PNG) до 20 МБ.",
    )
    submit = SubmitField("Додати скан")


class TemplateForm(Form):
    kind = SelectField("Документ", choices=KIND_CHOICES, validators=[required("Оберіть документ.")])
    file = FileField(
        "Власний шаблон (файл текстового редактора)",
        validators=[FileRequired("Оберіть файл.")],
        description="Візьміть типовий шаблон, змініть оформлення (бланк, логотип) і завантажте. "
        "Теги {{ … }} та {% … %} залиште як є.",
    )
    submit = SubmitField("Перевірити й завантажити")
