from wtforms import BooleanField, SubmitField
from wtforms.validators import DataRequired

from dozq.web.forms import Form


class EraseForm(Form):
    confirm = BooleanField(
        "Підтверджую: особа звернулася із запитом про вилучення своїх персональних даних, "
        "і її дані буде знеособлено без можливості відновлення",
        validators=[DataRequired("Підтвердьте вилучення, позначивши поле.")],
    )
    submit = SubmitField("Вилучити персональні дані")
