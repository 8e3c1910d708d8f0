"""Domain errors and the Ukrainian error pages."""

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from dozq.web.htmx import is_fragment_request


class DomainError(Exception):
    """A step the user asked for cannot be taken; the message says why, in Ukrainian."""

    status_code = 422


class ConflictError(DomainError):
    """Someone else saved the same record first."""

    status_code = 409


ERROR_TITLES = {
    400: "Некоректний запит",
    403: "Доступ заборонено",
    404: "Сторінку не знайдено",
    405: "Дія недоступна",
    409: "Конфлікт змін",
    413: "Файл або запит завеликий",
    422: "Дію не виконано",
    429: "Забагато спроб",
    500: "Внутрішня помилка",
}

ERROR_TEXTS = {
    400: "Запит не вдалося обробити. Оновіть сторінку й спробуйте ще раз.",
    403: "Ваша роль не дозволяє цю дію.",
    404: "Такої сторінки немає або вона вам недоступна.",
    405: "Цю дію не можна виконати таким способом.",
    409: "Запис змінив інший користувач. Оновіть сторінку, щоб побачити його зміни.",
    413: "Розмір файлу або запиту перевищує дозволений.",
    422: "Дію не виконано.",
    429: "Забагато спроб. Зачекайте кілька хвилин і спробуйте знову.",
    500: "Щось пішло не так. Ми вже знаємо про це; спробуйте пізніше.",
}


def error_page(status: int, message: str | None = None):
    """The error in the site's layout; for an htmx request, a notice swapped
    into the page's error region instead of the element that asked."""
    fragment = is_fragment_request()
    body = render_template(
        "errors/_error.html" if fragment else "errors/error.html",
        status=status,
        title=ERROR_TITLES.get(status, "Помилка"),
        message=message or ERROR_TEXTS.get(status, ""),
    )
    headers = {"HX-Retarget": "#htmx-error", "HX-Reswap": "innerHTML"} if fragment else {}
    return body, status, headers


def init_error_pages(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code and error.code < 400:
            return error
        message = None
        if error.code == 400 and getattr(error, "description", "").startswith("The CSRF"):
            message = "Сесія форми застаріла. Оновіть сторінку й надішліть форму ще раз."
        return error_page(error.code or 500, message)

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        return error_page(error.status_code, str(error))

    @app.errorhandler(500)
    def server_error(error):
        app.logger.error("Помилка під час %s %s", request.method, request.path)
        return error_page(500)
