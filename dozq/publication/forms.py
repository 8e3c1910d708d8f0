"""Forms of monitoring programmes."""

from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional
from wtforms.widgets import HiddenInput

from dozq.publication.models import ApprovalKind
from dozq.web.forms import Form, VersionField, choices, required

LONG_TEXT = 20000


def _text(label: str, description: str = ""):
    return TextAreaField(
        label, validators=[Optional(), Length(max=LONG_TEXT)], description=description
    )


class ProgrammeForm(Form):
    subject = StringField(
        "Предмет моніторингу",
        validators=[required("Вкажіть предмет моніторингу."), Length(max=300)],
    )
    goal = _text("Мета")
    tasks = _text("Завдання", "Кожне завдання з нового рядка.")
    indicators = SelectMultipleField(
        "Індикатори",
        coerce=int,
        validators=[Optional()],
        description="Індикатори з каталогу вашого закладу, які охоплює моніторинг.",
    )
    methods = _text("Методи збору інформації", "Опитування, спостереження, вивчення документації…")
    timeline = _text("Терміни та етапи")
    responsible = _text("Відповідальні особи")
    expected_results = _text("Очікувані результати")
    version = VersionField()

    def set_indicators(self, labels: dict) -> None:
        self.indicators.choices = choices(labels)


class NewProgrammeForm(ProgrammeForm):
    version = None


class ResultsForm(Form):
    results = TextAreaField(
        "Результати моніторингу",
        validators=[required("Опишіть результати моніторингу."), Length(max=LONG_TEXT)],
    )
    version = VersionField()


class PublishForm(Form):
    approval_kind = SelectField(
        "Чим затверджено",
        choices=choices({kind.value: kind.label for kind in ApprovalKind}),
        validators=[required("Оберіть наказ або протокол.")],
    )
    approval_number = StringField(
        "Номер",
        validators=[required("Вкажіть номер наказу або протоколу."), Length(max=60)],
        description="Як у документі, наприклад «№ 32-о/д».",
    )
    approval_date = DateField("Дата", validators=[required("Вкажіть дату.")])
    version = VersionField()


class WithdrawForm(Form):
    version = VersionField()


class SettingsForm(Form):
    share_drafts_with_founder = BooleanField(
        "Ділитися чернетками з засновником",
        description="Засновник бачитиме рівні циклів самооцінювання ще до їх оприлюднення.",
    )
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
