from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import EqualTo, Length

from dozq.auth.passwords import MIN_PASSWORD_LENGTH
from dozq.web.forms import Form, email_address, required

PASSWORD_LENGTH_MESSAGE = f"Пароль має містити щонайменше {MIN_PASSWORD_LENGTH} символів."


def new_password_fields():
    password = PasswordField(
        "Новий пароль",
        validators=[
            required(),
            Length(min=MIN_PASSWORD_LENGTH, max=200, message=PASSWORD_LENGTH_MESSAGE),
        ],
        description=f"Щонайменше {MIN_PASSWORD_LENGTH} символів.",
    )
    confirm = PasswordField(
        "Повторіть пароль",
        validators=[required(), EqualTo("password", message="Паролі не збігаються.")],
    )
    return password, confirm


class LoginForm(Form):
    email = StringField("Електронна пошта", validators=email_address())
    password = PasswordField("Пароль", validators=[required(), Length(max=200)])
    submit = SubmitField("Увійти")


class ForgotPasswordForm(Form):
    email = StringField("Електронна пошта", validators=email_address())
    submit = SubmitField("Надіслати посилання")


class ResetPasswordForm(Form):
    password, confirm = new_password_fields()
    submit = SubmitField("Зберегти пароль")


class AcceptInvitationForm(Form):
    full_name = StringField("Прізвище, ім'я, по батькові", validators=[required(), Length(max=200)])
    password, confirm = new_password_fields()
    submit = SubmitField("Прийняти запрошення")


class JoinWithPasswordForm(Form):
    password = PasswordField("Ваш пароль", validators=[required(), Length(max=200)])
    submit = SubmitField("Приєднатися")


class ChangePasswordForm(Form):
    current_password = PasswordField("Поточний пароль", validators=[required(), Length(max=200)])
    password, confirm = new_password_fields()
    submit = SubmitField("Змінити пароль")


class ProfileForm(Form):
    full_name = StringField("Прізвище, ім'я, по батькові", validators=[required(), Length(max=200)])
    submit = SubmitField("Зберегти")
