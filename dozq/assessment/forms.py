"""Forms of self-assessment. Choices that depend on the institution (staff, catalog
items, templates) are filled in by the views from scoped queries; a value outside
them fails validation before anything is looked up."""

from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms import Form as PlainForm
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from dozq.assessment.models import (
    CHECKLIST_KIND_LABELS,
    DECISION_KIND_LABELS,
    DECISION_STATUS_LABELS,
    DISCUSSION_KIND_LABELS,
    GROUP_ROLE_LABELS,
    INTERVIEW_KIND_LABELS,
    MARKS,
    MONITORING_SOURCE_LABELS,
    NOT_OBSERVED,
    PROCEDURE_VERDICT_LABELS,
    REQUEST_TOPIC_LABELS,
    SCOPE_LABELS,
)
from dozq.catalog.forms import CheckboxesField
from dozq.catalog.models import METHOD_LABELS
from dozq.quality_system.models import DIRECTIONS, MODEL_KIND_LABELS
from dozq.web.forms import Form, VersionField, choices, optional_text, required

FILE_HINT = "Фото, документ PDF або DOCX; до 20 МБ разом. Дані про місце зйомки з фото вилучаються."


def date_field(label: str, optional: bool = False, **kwargs):
    validators = [Optional()] if optional else [required("Вкажіть дату.")]
    return DateField(label, validators=validators, **kwargs)


def text_area(label: str, limit: int = 20000, needed: str | None = None, **kwargs):
    validators = [required(needed)] if needed else [Optional()]
    return TextAreaField(label, validators=[*validators, Length(max=limit)], **kwargs)


def at_least_one(message: str):
    def check(form, field):
        if not field.data:
            raise ValidationError(message)

    return check


def indicators_field(label: str = "Індикатори, до яких належить доказ"):
    return SelectMultipleField(
        label,
        coerce=int,
        validators=[at_least_one("Оберіть хоча б один індикатор.")],
        description="Оберіть індикатори, про які свідчить цей доказ.",
    )


def files_field():
    return MultipleFileField("Файли", description=FILE_HINT)


def optional_id_choices(labels: dict, empty: str) -> list:
    return choices({"": empty, **labels})


def _blank(value) -> bool:
    return not (value or "").strip()


class Prefixed:
    """A form that shares its page with others: its fields' names and ids carry
    ``default_prefix`` («member-name»), so no two inputs on a page share an id."""

    default_prefix = ""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", self.default_prefix)
        super().__init__(*args, **kwargs)


class CrossChecked:
    """Checks between fields, run after each field's own: an empty optional field
    stops its own validators, so rules like «this or that» live here."""

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        for field_name, message in self.cross_errors():
            getattr(self, field_name).errors.append(message)
            valid = False
        return valid

    def cross_errors(self):
        return []


def coerce_optional_int(value):
    if value in (None, "", "None"):
        return None
    return int(value)


class CycleForm(Form):
    title = StringField("Назва", validators=[required(), Length(max=300)])
    school_year = IntegerField(
        "Навчальний рік (рік початку)",
        validators=[required(), NumberRange(min=2000, max=2100)],
        description="Наприклад, 2025 для 2025/2026 навчального року.",
    )
    starts_on = date_field("Початок")
    ends_on = date_field("Завершення")
    model_kind = SelectField("Модель самооцінювання", choices=choices(MODEL_KIND_LABELS))
    scope_kind = SelectField(
        "Обсяг",
        choices=choices(SCOPE_LABELS),
        description="Напрями та вимоги або розділи плану роботи обирають на сторінці плану.",
    )
    includes_system_review = BooleanField(
        "Оцінити також дієвість процедур внутрішньої системи забезпечення якості освіти"
    )
    order_number = StringField(
        "Номер наказу про проведення самооцінювання",
        validators=optional_text(60),
        description="Як у наказі, наприклад «№ 32-о/д».",
    )
    order_date = date_field("Дата наказу", optional=True)
    version = VersionField()
    submit = SubmitField("Зберегти")

    def validate_ends_on(self, field):
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError("Дата завершення не може бути раніше за дату початку.")


class NewCycleForm(CycleForm):
    version = None


#: A founder's template assesses all directions or chosen ones of the official catalog.
TEMPLATE_SCOPE_LABELS = {"all": "за всіма напрямами", "items": "за обраними напрямами"}


class CycleTemplateForm(CrossChecked, CycleForm):
    """A founder's self-assessment for all of its institutions: the cycle's title, model
    and period; all directions or chosen ones; a note for the institutions."""

    scope_kind = RadioField(
        "Обсяг самооцінювання", choices=choices(TEMPLATE_SCOPE_LABELS), default="all"
    )
    direction_codes = CheckboxesField(
        "Напрями (для обсягу «за обраними напрямами»)",
        message="Оберіть напрями з переліку.",
        choices=choices({str(number): f"{number}. {text}" for number, text in DIRECTIONS.items()}),
    )
    note = text_area(
        "Примітка для закладів",
        2000,
        description="Її побачать на сторінці циклу в кожному закладі.",
    )
    includes_system_review = None
    order_number = None
    order_date = None
    version = None

    def cross_errors(self):
        if self.scope_kind.data == "items" and not self.direction_codes.data:
            yield "direction_codes", "Оберіть хоча б один напрям."


class CycleTemplateEditForm(CycleTemplateForm):
    version = VersionField()


class LaunchForm(Form):
    submit = SubmitField("Запустити для всіх закладів")


class DeleteTemplateForm(Form):
    submit = SubmitField("Видалити самооцінювання")


class ScopeForm(CrossChecked, Form):
    scope_kind = RadioField("Обсяг самооцінювання", choices=choices(SCOPE_LABELS))
    items = SelectMultipleField("Напрями та вимоги", coerce=int)
    sections = SelectMultipleField("Розділи плану роботи", coerce=int)
    version = VersionField()
    submit = SubmitField("Зберегти обсяг")

    def cross_errors(self):
        if self.scope_kind.data == "items" and not self.items.data:
            yield "items", "Оберіть хоча б один напрям або вимогу."
        if self.scope_kind.data == "plan_sections" and not self.sections.data:
            yield "sections", "Оберіть хоча б один розділ плану роботи на рік."


class MemberForm(Prefixed, CrossChecked, Form):
    default_prefix = "member"

    user_id = SelectField("Працівник", coerce=coerce_optional_int, validators=[Optional()])
    name = StringField(
        "Або ім’я учасника без облікового запису",
        validators=optional_text(200),
        description="Наприклад, представник батьківського комітету.",
    )
    group_role = SelectField("Роль у групі", choices=choices(GROUP_ROLE_LABELS))
    responsibility = text_area("За що відповідає", 2000)
    item_id = SelectField(
        "Напрям або вимога, за які відповідає", coerce=coerce_optional_int, validators=[Optional()]
    )
    submit = SubmitField("Додати до робочої групи")

    def cross_errors(self):
        if not self.user_id.data and _blank(self.name.data):
            yield "name", "Оберіть працівника або вкажіть ім’я учасника."


class PlanEntryForm(Prefixed, Form):
    default_prefix = "entry"

    indicator_id = SelectField("Індикатор", coerce=int, validators=[required("Оберіть індикатор.")])
    method = SelectField("Метод", choices=choices(METHOD_LABELS))
    member_id = SelectField("Хто", coerce=coerce_optional_int, validators=[Optional()])
    due_on = date_field("Строк", optional=True)
    note = StringField("Примітка", validators=optional_text(500))
    submit = SubmitField("Додати до плану")


class ScheduleForm(Prefixed, Form):
    default_prefix = "schedule"

    title = StringField("Що", validators=[required(), Length(max=300)])
    starts_on = date_field("З", optional=True)
    ends_on = date_field("По", optional=True)
    responsible = StringField("Відповідальні", validators=optional_text(300))
    submit = SubmitField("Додати до графіка")


class TransitionForm(Form):
    target = HiddenField(validators=[required()])
    note = text_area("Коментар", 4000)
    publication_url = StringField("Адреса сторінки з результатами", validators=optional_text(500))
    version = VersionField()


class MarkForm(PlainForm):
    class Meta:
        locales = ["uk"]

    mark = RadioField(
        "Позначка",
        choices=choices(
            {**{str(value): label for value, label in MARKS.items()}, "": NOT_OBSERVED}
        ),
        default="",
    )
    comment = TextAreaField("Коментар", validators=[Optional(), Length(max=4000)])


class ObservationForm(CrossChecked, Form):
    occurred_on = date_field("Дата спостереження")
    group_name = StringField(
        "Група", validators=optional_text(200), description="Наприклад, «Бджілка» (старша)."
    )
    observed_user_id = SelectField(
        "Педагог, чию роботу спостерігали", coerce=coerce_optional_int, validators=[Optional()]
    )
    observer_ids = SelectMultipleField("Спостерігачі з працівників", coerce=int)
    external_observers = text_area(
        "Інші спостерігачі",
        2000,
        description="Батьки, представники органів самоврядування закладу: ім’я та хто вони.",
    )
    marks = FieldList(FormField(MarkForm))
    body = text_area("Загальні висновки")
    indicator_ids = indicators_field()
    files = files_field()
    submit = SubmitField("Зберегти спостереження")

    def cross_errors(self):
        if not self.observer_ids.data and _blank(self.external_observers.data):
            yield (
                "external_observers",
                "Вкажіть, хто спостерігав: працівників або інших осіб.",
            )


class DocumentStudyForm(Form):
    occurred_on = date_field("Дата вивчення")
    document_title = StringField(
        "Документ",
        validators=[required("Вкажіть, який документ вивчено."), Length(max=300)],
        description="Наприклад, «План роботи групи «Бджілка» на жовтень».",
    )
    marks = FieldList(FormField(MarkForm))
    body = text_area("Загальні висновки")
    indicator_ids = indicators_field()
    files = files_field()
    submit = SubmitField("Зберегти")


class InterviewForm(CrossChecked, Form):
    interview_kind = SelectField("Вид", choices=choices(INTERVIEW_KIND_LABELS))
    title = StringField("Тема", validators=[required("Вкажіть тему."), Length(max=300)])
    occurred_on = date_field("Дата")
    respondents = StringField(
        "Респонденти",
        validators=optional_text(500),
        description="Хто відповідає: педагоги молодших груп, батьки випускників …",
    )
    participants_count = IntegerField(
        "Кількість учасників",
        validators=[Optional(), NumberRange(min=1, max=500)],
        description="Фокус-група — від 6 до 12 осіб.",
    )
    questions = text_area(
        "План розмови (питання)", needed="Складіть план розмови: запишіть питання."
    )
    respondents_informed = BooleanField(
        "Респондентів повідомлено про фіксацію відповідей та її спосіб"
    )
    recording_method = StringField(
        "Спосіб фіксації відповідей",
        validators=optional_text(300),
        description="Протокол, бланк опитування, аудіозапис за згодою учасників …",
    )
    body = text_area(
        "Відповіді (протокол)",
        description="Можна заповнити пізніше, після проведення.",
    )
    indicator_ids = indicators_field()
    files = files_field()
    submit = SubmitField("Зберегти")

    def cross_errors(self):
        if not _blank(self.body.data):
            if not self.respondents_informed.data:
                yield "respondents_informed", INFORMED
            if _blank(self.recording_method.data):
                yield "recording_method", "Вкажіть спосіб фіксації відповідей."


INFORMED = (
    "Перш ніж зберегти відповіді, підтвердьте, що респондентів повідомлено "
    "про фіксацію відповідей і її спосіб."
)


class ProtocolForm(Prefixed, CrossChecked, Form):
    default_prefix = "protocol"

    respondents_informed = BooleanField(
        "Респондентів повідомлено про фіксацію відповідей та її спосіб"
    )
    recording_method = StringField("Спосіб фіксації відповідей", validators=optional_text(300))
    body = text_area("Відповіді (протокол)", needed="Запишіть відповіді респондентів.")
    files = files_field()
    submit = SubmitField("Зберегти відповіді")

    def cross_errors(self):
        if not self.respondents_informed.data:
            yield "respondents_informed", INFORMED
        if _blank(self.recording_method.data):
            yield "recording_method", "Вкажіть спосіб фіксації відповідей."


class MonitoringForm(Form):
    monitoring_source = SelectField("Хто проводив", choices=choices(MONITORING_SOURCE_LABELS))
    source_name = StringField(
        "Назва органу чи організації",
        validators=[required("Вкажіть, хто проводив моніторинг."), Length(max=300)],
    )
    occurred_on = date_field("Дата результатів")
    title = StringField("Назва моніторингу", validators=optional_text(300))
    body = text_area("Результати коротко", needed="Коротко опишіть результати моніторингу.")
    indicator_ids = indicators_field()
    files = files_field()
    submit = SubmitField("Зберегти")


class InternalMonitoringForm(Form):
    """Evidence taken from one of the institution's internal monitoring programmes."""

    programme_id = SelectField(
        "Програма внутрішнього моніторингу",
        coerce=coerce_optional_int,
        validators=[required("Оберіть програму моніторингу.")],
        description="Доказом можуть бути лише результати: програму без результатів не обирають.",
    )
    occurred_on = date_field("Дата результатів")
    title = StringField("Назва доказу", validators=optional_text(300))
    body = text_area(
        "Результати коротко",
        description="Якщо залишити порожнім, буде взято результати з програми.",
    )
    indicator_ids = SelectMultipleField(
        "Інші індикатори",
        coerce=int,
        description=(
            "Індикатори, які моніторить програма і які входять до обсягу самооцінювання, "
            "буде пов’язано з доказом самі; за потреби оберіть ще."
        ),
    )
    files = files_field()
    submit = SubmitField("Зберегти")


class StaffEvidenceForm(Form):
    cycle_id = SelectField("Самооцінювання", coerce=int)
    occurred_on = date_field("Дата")
    body = text_area(
        "Що показує доказ",
        description="Коротко: що відбувалося, що видно на фото чи в документі.",
    )
    indicator_ids = indicators_field("Індикатори")
    files = MultipleFileField("Фото або документ", description=FILE_HINT)
    submit = SubmitField("Зберегти доказ")


class FilesForm(Form):
    files = files_field()
    submit = SubmitField("Додати файли")


class RatingForm(Form):
    score = StringField(
        "Бал",
        validators=[required("Вкажіть бал."), Length(max=10)],
        description="Число в межах шкали, наприклад 3,5.",
    )
    narrative = text_area(
        "Опис: що виявлено, яким методом, на яких доказах",
        10000,
        needed="Опишіть, що виявлено, яким методом і на яких доказах.",
    )
    justification = text_area("Обґрунтування бала", 10000, needed="Обґрунтуйте бал.")
    version = VersionField()
    submit = SubmitField("Зберегти бал")

    def validate_score(self, field):
        from dozq.quality_system.services import parse_score

        try:
            parse_score(field.data or "")
        except ValueError as error:
            raise ValidationError(str(error)) from error


class ConclusionForm(CrossChecked, Form):
    achievements = text_area("Досягнення")
    difficulties = text_area("Труднощі")
    trends = text_area("Тенденції")
    level_id = SelectField(
        "Рівень", coerce=coerce_optional_int, validators=[Optional()], choices=[]
    )
    override_reason = text_area("Чому рівень відрізняється від обчисленого", 4000)
    version = VersionField()
    submit = SubmitField("Зберегти висновки")

    def cross_errors(self):
        if self.level_id.data and _blank(self.override_reason.data):
            yield "override_reason", "Поясніть, чому рівень відрізняється від обчисленого."


class CouncilMeetingForm(Form):
    held_on = date_field("Дата засідання")
    protocol_number = StringField(
        "Номер протоколу",
        validators=[required("Вкажіть номер протоколу, наприклад «№ 3»."), Length(max=60)],
        description="Як у протоколі: «№ 3», «№ 108-22/2».",
    )
    attendance = StringField("Присутні", validators=optional_text(300))
    agenda = text_area("Порядок денний")
    decisions = text_area("Ухвалені рішення")
    version = VersionField()
    submit = SubmitField("Зберегти засідання")


class NewCouncilMeetingForm(CouncilMeetingForm):
    version = None


class CouncilDiscussionForm(Prefixed, NewCouncilMeetingForm):
    default_prefix = "council"

    remarks = text_area("Зауваження та пропозиції під час обговорення")
    submit = SubmitField("Записати засідання педагогічної ради")


class DiscussionForm(Prefixed, Form):
    default_prefix = "other"

    kind = SelectField(
        "Обговорення",
        choices=choices(
            {
                key.value: label
                for key, label in DISCUSSION_KIND_LABELS.items()
                if key.value != "council"
            }
        ),
    )
    held_on = date_field("Дата")
    participants = text_area(
        "Учасники",
        4000,
        needed="Вкажіть учасників обговорення.",
        description="Батьківська громада, представник засновника, запрошені експерти …",
    )
    remarks = text_area(
        "Зауваження та пропозиції", needed="Запишіть зауваження та пропозиції учасників."
    )
    submit = SubmitField("Записати обговорення")


class LinkMeetingForm(Prefixed, Form):
    default_prefix = "link"

    meeting_id = SelectField("Засідання педагогічної ради", coerce=int)
    remarks = text_area("Зауваження та пропозиції під час обговорення")
    submit = SubmitField("Пов’язати засідання з циклом")


class DecisionForm(Form):
    kind = SelectField("Вид", choices=choices(DECISION_KIND_LABELS))
    what = text_area("Що буде зроблено", 4000, needed="Опишіть рішення: що саме буде зроблено.")
    item_id = SelectField("Напрям або вимога", coerce=coerce_optional_int, validators=[Optional()])
    responsible_user_id = SelectField(
        "Відповідальний працівник", coerce=coerce_optional_int, validators=[Optional()]
    )
    responsible = StringField("Або відповідальні (словами)", validators=optional_text(300))
    due_on = date_field("Строк", optional=True)
    section_id = SelectField(
        "Розділ плану роботи на рік", coerce=coerce_optional_int, validators=[Optional()]
    )
    programme_id = SelectField(
        "Програма розвитку", coerce=coerce_optional_int, validators=[Optional()]
    )
    submit = SubmitField("Додати рішення")


class DecisionStatusForm(Form):
    status = SelectField("Стан", choices=choices(DECISION_STATUS_LABELS))
    outcome = text_area("Що зроблено (або чому скасовано)", 4000)
    due_on = date_field("Новий строк", optional=True)
    version = VersionField()
    submit = SubmitField("Зберегти")


class FounderRequestForm(Prefixed, Form):
    default_prefix = "request"

    topic = SelectField("Питання", choices=choices(REQUEST_TOPIC_LABELS))
    subject = StringField("Тема", validators=[required("Вкажіть тему."), Length(max=300)])
    text = text_area("Що просимо", 10000, needed="Опишіть, що саме просите.")
    justification = text_area(
        "Чим зумовлено", 10000, description="Що виявило самооцінювання: вимога, висновок."
    )
    submit = SubmitField("Зберегти звернення")


class AnswerForm(Form):
    answer = text_area("Відповідь засновника", 10000, needed="Напишіть відповідь закладу.")
    version = VersionField()
    submit = SubmitField("Надіслати відповідь")


class NeedForm(Prefixed, Form):
    default_prefix = "need"

    teacher_id = SelectField("Педагог", coerce=int, validators=[required("Оберіть педагога.")])
    need = text_area("Потреба професійного розвитку", 4000, needed="Опишіть потребу.")
    support = text_area("Яку підтримку запропоновано", 4000)
    submit = SubmitField("Зафіксувати потребу")


class ProcedureReviewForm(Form):
    verdict = SelectField("Висновок", choices=choices(PROCEDURE_VERDICT_LABELS))
    measure_id = SelectField(
        "Захід, що потребує уваги", coerce=coerce_optional_int, validators=[Optional()]
    )
    finding = text_area(
        "Що виявлено", 10000, needed="Опишіть, що виявлено щодо дієвості процедури."
    )
    proposal = text_area("Пропозиції щодо вдосконалення", 10000)
    version = VersionField()
    submit = SubmitField("Зберегти")


class TemplateForm(Form):
    title = StringField("Назва аркуша", validators=[required(), Length(max=300)])
    items = text_area(
        "Пункти (кожен з нового рядка)",
        60000,
        needed="Додайте хоча б один пункт: кожен пункт — окремий рядок.",
    )
    is_active = BooleanField("Використовується")
    version = VersionField()
    submit = SubmitField("Зберегти аркуш")


class NewTemplateForm(TemplateForm):
    kind = SelectField("Вид", choices=choices(CHECKLIST_KIND_LABELS))
    is_active = None
    version = None
