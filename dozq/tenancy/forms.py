from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import Length, Regexp, ValidationError

from dozq.tenancy.models import INSTITUTION_KIND_LABELS, ROLE_LABELS, Role
from dozq.web.forms import (
    Form,
    VersionField,
    choices,
    digits,
    email_address,
    optional_text,
    required,
)

EDRPOU_MESSAGE = "Код ЄДРПОУ складається з 8 цифр."


def _website(form, field):
    value = (field.data or "").strip()
    if value and not value.startswith(("http://", "https://")):
        raise ValidationError("Адреса вебсайту має починатися з http:// або https://.")


class InstitutionForm(Form):
    full_name = StringField(
        "Повна назва",
        validators=[required(), Length(max=400)],
        description="Як у статуті: «Заклад дошкільної освіти (ясла-садок) № 5 «Веселка»».",
    )
    short_name = StringField("Скорочена назва", validators=[required(), Length(max=150)])
    kind = SelectField(
        "Тип закладу",
        choices=choices(INSTITUTION_KIND_LABELS),
        validators=[required("Оберіть тип закладу.")],
    )
    edrpou = StringField(
        "Код ЄДРПОУ", validators=[*optional_text(10), digits(8, 8, EDRPOU_MESSAGE)]
    )
    address = StringField("Адреса", validators=optional_text(300))
    website = StringField("Вебсайт", validators=[*optional_text(300), _website])
    phone = StringField("Телефон", validators=optional_text(60))
    email = StringField("Електронна пошта", validators=optional_text(200))
    director_name = StringField("Керівник (ПІБ)", validators=optional_text(200))
    director_title = StringField(
        "Посада керівника",
        validators=optional_text(80),
        description="Наприклад: директор, завідувач, в. о. директора.",
    )
    version = VersionField()
    submit = SubmitField("Зберегти")

    def validate_email(self, field):
        value = (field.data or "").strip()
        if value and ("@" not in value or " " in value):
            raise ValidationError("Введіть правильну адресу електронної пошти.")


class NewInstitutionForm(InstitutionForm):
    version = None


class FounderForm(Form):
    name = StringField(
        "Назва засновника",
        validators=[required(), Length(max=300)],
        description="Наприклад: Відділ освіти … міської ради.",
    )
    short_name = StringField("Скорочена назва", validators=optional_text(120))
    slug = StringField(
        "Адреса в dozq",
        validators=[
            required(),
            Length(min=2, max=60),
            Regexp(r"^[a-z0-9-]+$", message="Лише малі латинські літери, цифри та дефіс."),
        ],
        description="Частина адреси сторінок засновника: /f/<адреса>.",
    )
    edrpou = StringField(
        "Код ЄДРПОУ", validators=[*optional_text(10), digits(8, 8, EDRPOU_MESSAGE)]
    )
    address = StringField("Адреса", validators=optional_text(300))
    email = StringField("Електронна пошта", validators=optional_text(200))
    phone = StringField("Телефон", validators=optional_text(60))
    submit = SubmitField("Зберегти")


class InviteForm(Form):
    full_name = StringField("Прізвище, ім'я, по батькові", validators=[required(), Length(max=200)])
    email = StringField("Електронна пошта", validators=email_address())
    role = SelectField("Роль", validators=[required("Оберіть роль.")])
    position = StringField(
        "Посада",
        validators=optional_text(150),
        description="Наприклад: вихователь, музичний керівник, сестра медична.",
    )
    submit = SubmitField("Надіслати запрошення")

    def __init__(self, roles, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if len(roles) == 1:
            # The page already says which role; there is nothing to choose.
            del self.role
        else:
            self.role.choices = choices({role.value: ROLE_LABELS[role] for role in roles})


class RoleForm(Form):
    role = SelectField("Роль", validators=[required("Оберіть роль.")])
    submit = SubmitField("Змінити")

    def __init__(self, roles, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = choices({role.value: ROLE_LABELS[role] for role in roles})


STAFF_INVITE_ROLES = (Role.METHODOLOGIST, Role.TEACHER, Role.STAFF)
