"""Forms of the quality system; every message is Ukrainian and sits beside its field."""

import wtforms
from sqlalchemy import select
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import AnyOf, Length, Optional, StopValidation, ValidationError

from dozq.db import db
from dozq.quality_system.models import (
    DIRECTIONS,
    LEVEL_COLOUR_LABELS,
    MODEL_KIND_LABELS,
    RESPONSIBLE_ROLE_LABELS,
    SETTLEMENT_LABELS,
    AnnualPlan,
    LevelColour,
    ModelKind,
    school_year_label,
)
from dozq.quality_system.services import (
    MAX_LEVELS,
    LevelDraft,
    current_school_year,
    format_score,
    parse_score,
    scale_errors,
)
from dozq.web.forms import Form, VersionField, choices, optional_text, required

LONG_TEXT = 10000


def filled(message: str) -> list:
    """Required, and more than spaces."""

    def not_blank(form, field):
        if not (field.data or "").strip():
            raise StopValidation(message)

    return [required(message), not_blank]


class CountField(IntegerField):
    """A whole number from 0 to ``maximum``, or empty."""

    def __init__(self, label, maximum: int, **kwargs):
        self.maximum = maximum
        super().__init__(label, validators=[self._check_range], **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        raw = (valuelist[0] if valuelist else "").strip().replace(" ", "")
        if raw:
            try:
                self.data = int(raw)
            except ValueError as error:
                raise ValueError("Введіть ціле число, наприклад 6.") from error

    def _check_range(self, form, field):
        if field.data is not None and not 0 <= field.data <= self.maximum:
            raise ValidationError(f"Введіть ціле число від 0 до {self.maximum}.")


class WholeNumberField(CountField):
    """A required whole number within a range."""

    def __init__(self, label, minimum: int, maximum: int, **kwargs):
        self.minimum = minimum
        super().__init__(label, maximum, **kwargs)

    def _check_range(self, form, field):
        if field.data is None:
            if not field.process_errors:
                raise ValidationError("Заповніть це поле.")
            return
        if not self.minimum <= field.data <= self.maximum:
            raise ValidationError(f"Введіть ціле число від {self.minimum} до {self.maximum}.")


class ScoreField(StringField):
    """A score such as «3,5» (a decimal comma or point, at most two places)."""

    def process_formdata(self, valuelist):
        self.data = None
        raw = (valuelist[0] if valuelist else "").strip()
        if raw:
            self.data = parse_score(raw)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return format_score(self.data) if self.data is not None else ""


def school_year_choices(extra: int | None = None, before: int = 3, after: int = 3) -> list:
    now = current_school_year()
    years = set(range(now - before, now + after + 1))
    if extra is not None:
        years.add(extra)
    return choices({year: school_year_label(year) for year in sorted(years)})


class ComponentForm(Form):
    title = StringField(
        "Назва компонента", validators=[*filled("Вкажіть назву компонента."), Length(max=400)]
    )
    description = TextAreaField(
        "Опис",
        validators=optional_text(LONG_TEXT),
        description="Що означає цей компонент у вашому закладі, на що він впливає.",
    )
    policies = TextAreaField(
        "Політики",
        validators=optional_text(LONG_TEXT),
        description="Принципи та правила, з урахуванням яких формується компонент.",
    )
    version = VersionField()
    submit = SubmitField("Зберегти")

    def __init__(self, *args, statutory: bool = False, **kwargs):
        super().__init__(*args, prefix="component", **kwargs)
        if statutory:
            # The law names the statutory components; only their description is the institution's.
            del self.title


class NewComponentForm(ComponentForm):
    version = None
    submit = SubmitField("Додати компонент")


class MeasureForm(Form):
    action = TextAreaField(
        "Що робиться", validators=[*filled("Опишіть, що робиться."), Length(max=2000)]
    )
    responsible_role = SelectField(
        "Хто виконує: роль",
        choices=choices({"": "— не вказано —", **RESPONSIBLE_ROLE_LABELS}),
        validators=[Optional()],
    )
    responsible_person = StringField(
        "Хто виконує: особа",
        validators=[Length(max=200)],
        description="Прізвище та ініціали, якщо за захід відповідає конкретна особа.",
    )
    timing = StringField(
        "Коли / як часто",
        validators=[*filled("Вкажіть, коли або як часто виконується захід."), Length(max=200)],
        description="Наприклад: щороку у вересні; щокварталу; за потреби.",
    )
    document = StringField(
        "Документ, який засвідчує виконання",
        validators=optional_text(300),
        description="Наприклад: наказ, протокол педагогічної ради, аналітична довідка.",
    )
    version = VersionField()
    submit = SubmitField("Зберегти захід")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="measure", **kwargs)

    def validate_responsible_person(self, field):
        if not (field.data or "").strip() and not self.responsible_role.data:
            raise ValidationError("Вкажіть роль або особу, відповідальну за захід.")


class NewMeasureForm(MeasureForm):
    version = None
    submit = SubmitField("Додати захід")


class PolicyForm(Form):
    goal = TextAreaField(
        "Основна мета",
        validators=[*filled("Сформулюйте основну мету політики."), Length(max=LONG_TEXT)],
    )
    version = VersionField()
    submit = SubmitField("Зберегти")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="policy", **kwargs)


class OrientationForm(Form):
    text = TextAreaField(
        "Орієнтир", validators=[*filled("Сформулюйте орієнтир."), Length(max=1000)]
    )
    version = VersionField()
    submit = SubmitField("Зберегти")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="orientation", **kwargs)


class NewOrientationForm(OrientationForm):
    version = None
    submit = SubmitField("Додати орієнтир")


class FeaturesForm(Form):
    settlement_type = SelectField(
        "Місцезнаходження",
        choices=choices({"": "— не вказано —", **SETTLEMENT_LABELS}),
        validators=[Optional()],
    )
    location = StringField(
        "Розташування",
        validators=optional_text(300),
        description="Наприклад: центр міста, поруч школа і парк; околиця села.",
    )
    staff_features = TextAreaField(
        "Особливості педагогічного колективу",
        validators=optional_text(LONG_TEXT),
        description="Досвід, кваліфікаційні категорії, плинність кадрів, потреби в розвитку.",
    )
    group_count = CountField("Кількість груп", 100, description="Ціле число, 0 або більше.")
    child_count = CountField(
        "Кількість дітей", 2000, description="Батьків опитують у розрахунку на кожну дитину."
    )
    teacher_count = CountField("Кількість педагогічних працівників", 500)
    other_staff_count = CountField("Кількість інших працівників", 500)
    education_language = StringField("Мова освітнього процесу", validators=optional_text(100))
    operating_mode = StringField(
        "Режим роботи",
        validators=optional_text(300),
        description="Наприклад: 10,5 години, п'ятиденний робочий тиждень; є чергова група.",
    )
    version = VersionField()
    submit = SubmitField("Зберегти")


class LevelRowForm(wtforms.Form):
    """One level in the scale form (a sub-form: no CSRF token of its own)."""

    class Meta:
        locales = ["uk"]

    name = StringField("Назва рівня", validators=[Length(max=120)])
    description = TextAreaField("Опис рівня", validators=[Length(max=2000)])
    # Checked for the rows in use only (scale_errors): empty rows still post a colour.
    colour = SelectField("Колір", choices=choices(LEVEL_COLOUR_LABELS), validate_choice=False)
    min_score = ScoreField("Поріг: від (балів)")

    @property
    def filled(self) -> bool:
        return bool(
            (self.name.data or "").strip()
            or (self.description.data or "").strip()
            or self.min_score.data is not None
            or self.min_score.errors
        )


class ScaleForm(Form):
    title = StringField(
        "Назва шкали", validators=[*filled("Вкажіть назву шкали."), Length(max=200)]
    )
    min_score = ScoreField("Мінімальний бал")
    max_score = ScoreField("Максимальний бал")
    levels = FieldList(FormField(LevelRowForm), min_entries=MAX_LEVELS, max_entries=MAX_LEVELS)
    #: The number of the scale version the form was opened at.
    version = VersionField()
    submit = SubmitField("Зберегти нову версію шкали")

    drafts: list[LevelDraft] = ()

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        filled = [entry.form for entry in self.levels.entries if entry.form.filled]
        self.drafts = [
            LevelDraft(
                (row.name.data or "").strip(),
                (row.description.data or "").replace("\r\n", "\n").strip(),
                row.colour.data,
                row.min_score.data,
            )
            for row in filled
        ]
        if self.min_score.errors or self.max_score.errors:
            return False
        if any(row.min_score.errors for row in filled):
            valid = False
        for key, message in scale_errors(
            self.min_score.data, self.max_score.data, self.drafts
        ).items():
            valid = False
            if key in ("min_score", "max_score"):
                getattr(self, key).errors.append(message)
            elif key == "levels":
                self.form_errors.append(message)
            else:
                _, index, name = key.split("-")
                row = filled[int(index)]
                if message not in row[name].errors:
                    row[name].errors.append(message)
        if any(entry.errors for entry in self.levels.entries):
            # FieldList keeps the errors it saw while validating; show the ones added here too.
            self.levels.errors = [entry.errors for entry in self.levels.entries]
        return valid


def scale_form_data(title, min_score, max_score, drafts) -> dict:
    rows = [
        {
            "name": draft.name,
            "description": draft.description,
            "colour": str(draft.colour),
            "min_score": draft.min_score,
        }
        for draft in drafts
    ]
    palette = list(LevelColour)
    while len(rows) < MAX_LEVELS:
        rows.append({"colour": palette[min(len(rows), len(palette) - 1)].value})
    return {"title": title, "min_score": min_score, "max_score": max_score, "levels": rows}


class ModelForm(Form):
    kind = RadioField(
        "Модель самооцінювання",
        choices=choices(MODEL_KIND_LABELS),
        validators=[required("Оберіть модель самооцінювання.")],
    )
    description = TextAreaField(
        "Опис моделі",
        validators=[Length(max=LONG_TEXT)],
        description="Обов'язковий для власної моделі: що, коли і як часто оцінюється.",
    )
    block_system = BooleanField(
        "Аналізувати за розділами плану роботи на рік (за блоковою системою)"
    )
    comprehensive_every = WholeNumberField(
        "Комплексне самооцінювання — раз на скільки років",
        2,
        10,
        description="Для моделей з періодичним комплексним самооцінюванням (як правило, 3–5).",
    )
    plan_start_year = SelectField("План самооцінювання починається з", coerce=int)
    plan_years = WholeNumberField("Тривалість плану, років", 1, 10)
    version = VersionField()
    submit = SubmitField("Зберегти")

    def __init__(self, *args, start_year: int | None = None, **kwargs):
        super().__init__(*args, prefix="model", **kwargs)
        self.plan_start_year.choices = school_year_choices(start_year, before=5, after=3)

    def validate_description(self, field):
        if self.kind.data == ModelKind.OWN.value and not (field.data or "").strip():
            raise ValidationError("Опишіть власну модель самооцінювання.")


class PlanForm(Form):
    """The grid: a checkbox «YYYY-D» for each school year of the plan and direction."""

    cells = SelectMultipleField("Напрями за роками", choices=[])
    version = VersionField()
    submit = SubmitField("Зберегти план")

    def __init__(self, years, *args, **kwargs):
        super().__init__(*args, prefix="plan", **kwargs)
        self.cells.choices = choices(
            {f"{year}-{direction}": "" for year in years for direction in DIRECTIONS}
        )

    def selected(self) -> set[tuple[int, int]]:
        return {tuple(map(int, value.split("-"))) for value in self.cells.data or ()}


class VersionForm(Form):
    """A button that acts on one item: deleting it, refilling the plan."""

    version = VersionField()


class MoveForm(Form):
    direction = StringField(
        validators=[AnyOf(["up", "down"], message="Невідомий напрям переміщення.")]
    )


class AnnualPlanForm(Form):
    school_year = SelectField("Навчальний рік", coerce=int)
    title = StringField(
        "Назва",
        validators=optional_text(300),
        description="Якщо не заповнити: «План роботи закладу на … навчальний рік та літній "
        "оздоровчий період».",
    )
    approval = StringField(
        "Схвалення і затвердження",
        validators=optional_text(300),
        description="Наприклад: схвалено педагогічною радою (протокол № 1 від 29.08.2025), "
        "затверджено наказом № 45-о/д.",
    )
    version = VersionField()
    submit = SubmitField("Зберегти")

    def __init__(self, *args, year: int | None = None, plan_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan_id = plan_id
        self.school_year.choices = school_year_choices(year)

    def validate_school_year(self, field):
        query = select(AnnualPlan.id).where(AnnualPlan.school_year == field.data)
        if self.plan_id is not None:
            query = query.where(AnnualPlan.id != self.plan_id)
        if db.session.scalar(query) is not None:
            raise ValidationError(
                f"План роботи на {school_year_label(field.data)} навчальний рік уже є."
            )


class NewAnnualPlanForm(AnnualPlanForm):
    version = None
    submit = SubmitField("Додати план роботи")


class SectionForm(Form):
    title = StringField(
        "Назва розділу", validators=[*filled("Вкажіть назву розділу."), Length(max=300)]
    )
    version = VersionField()
    submit = SubmitField("Зберегти")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="section", **kwargs)


class NewSectionForm(SectionForm):
    version = None
    submit = SubmitField("Додати розділ")


class ProgrammeForm(Form):
    title = StringField(
        "Назва програми розвитку",
        validators=[*filled("Вкажіть назву програми розвитку."), Length(max=300)],
    )
    start_year = WholeNumberField("Рік початку", 2000, 2100)
    end_year = WholeNumberField(
        "Рік завершення", 2000, 2100, description="Як правило, програму складають на 3–5 років."
    )
    goals = TextAreaField("Мета та завдання", validators=optional_text(LONG_TEXT))
    version = VersionField()
    submit = SubmitField("Зберегти")

    def validate_end_year(self, field):
        start = self.start_year.data
        if start is None or field.data is None or self.start_year.errors:
            return
        if field.data < start:
            raise ValidationError("Рік завершення не може бути раніше за рік початку.")
        if field.data - start + 1 > 10:
            raise ValidationError("Програма розвитку триває не довше 10 років (як правило, 3–5).")


class NewProgrammeForm(ProgrammeForm):
    version = None
    submit = SubmitField("Додати програму розвитку")
