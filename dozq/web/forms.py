"""The base form: WTForms' own Ukrainian messages, plus our common fields."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectChoice
from wtforms.validators import Email, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from dozq.db import db


class Form(FlaskForm):
    class Meta:
        locales = ["uk"]


class VersionField(IntegerField):
    """The version the form was opened at, to detect a concurrent save."""

    widget = HiddenInput()

    def __init__(self, **kwargs):
        super().__init__(validators=[InputRequired()], **kwargs)


def required(message: str = "Заповніть це поле."):
    return InputRequired(message=message)


def email_address():
    return [
        required(),
        Length(max=254),
        Email(message="Введіть правильну адресу електронної пошти.", check_deliverability=False),
    ]


def optional_text(max_length: int):
    return [Optional(), Length(max=max_length)]


def digits(count_from: int, count_to: int, message: str):
    """A code made of digits only, such as ЄДРПОУ."""

    def check(form, field):
        value = (field.data or "").strip()
        if value and not (value.isdigit() and count_from <= len(value) <= count_to):
            raise ValidationError(message)

    return check


def choices(labels: dict) -> list[SelectChoice]:
    """Select options from a {value: Ukrainian label} mapping, in its order."""
    return [SelectChoice(str(value), label) for value, label in labels.items()]


def form_status(form) -> int:
    """422 for a submitted form that did not validate (htmx swaps it, with its errors)."""
    return 422 if form.is_submitted() else 200


def refused(form, error) -> int:
    """Roll back what a refused step did and show why on the form; the status to
    answer with (``DomainError.status_code``: 422, or 409 for a conflict)."""
    db.session.rollback()
    form.form_errors.append(str(error))
    return error.status_code


__all__ = [
    "Form",
    "HiddenField",
    "VersionField",
    "choices",
    "digits",
    "email_address",
    "form_status",
    "optional_text",
    "refused",
    "required",
]
