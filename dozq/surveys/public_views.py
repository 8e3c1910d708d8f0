"""The respondents' pages, outside /i/…: /s/<token> (a public link) and /c/<token>
(a printed single-use code). Anyone may open them; the token decides the
institution, whose scope is set before the view runs.

Refusals are pages, never crashes: an unknown or not yet open link answers
404, a closed or switched-off link and a spent code 410, a browser that has
already answered 409, a flood 429, an incomplete form 422 with every answer kept.
"""

from flask import Blueprint, current_app, g, redirect, request, url_for
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from dozq.db import db
from dozq.surveys import services
from dozq.surveys.forms import ParsedSubmission, parse_submission
from dozq.surveys.models import Channel, Questionnaire, SurveyCode, SurveyLink
from dozq.surveys.ratelimit import DEFAULT_LIMIT, limiter
from dozq.tenancy.access import public
from dozq.tenancy.public import institution_of_survey_code, institution_of_survey_link
from dozq.tenancy.scope import Scope, set_scope
from dozq.web.filters import date_uk
from dozq.web.htmx import render

bp = Blueprint("survey_public", __name__)

CODE_ENDPOINTS = {"survey_public.code_form", "survey_public.code_thanks"}
COOKIE_PREFIX = "dozq_answered_"


@bp.url_value_preprocessor
def enter_questionnaire(endpoint, values) -> None:
    """Find the institution of the token and work in its scope (or in none)."""
    g.survey_institution = None
    # A signed-in visitor's session row is touched in a short transaction of its own;
    # it must happen before this request's (on SQLite, writing) transaction begins,
    # or the two would wait for each other.
    _ = current_user.is_authenticated
    token = (values or {}).get("token")
    if token is None:
        return
    if endpoint in CODE_ENDPOINTS:
        institution = institution_of_survey_code(services.normalise_code(token))
    else:
        institution = institution_of_survey_link(token)
    if institution is not None:
        set_scope(db.session, Scope.for_institution(institution))
        g.survey_institution = institution


@bp.after_request
def private(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _status(status: int, title: str, message: str, questionnaire=None):
    return render(
        "surveys/public_status.html",
        status=status,
        title=title,
        message=message,
        questionnaire=questionnaire,
        institution=g.survey_institution,
    )


def _not_found():
    return _status(
        404,
        "Анкету не знайдено",
        "Посилання або код неправильні чи неповні. Перевірте адресу (наприклад, відскануйте "
        "QR-код ще раз) або зверніться до закладу, який запросив вас до опитування.",
    )


def _refusal(questionnaire: Questionnaire, link: SurveyLink | None = None):
    """A page instead of the form when the questionnaire does not take answers now."""
    if link is not None and not link.active:
        return _status(
            410,
            "Посилання більше не діє",
            "Заклад вимкнув це посилання. Зверніться до закладу по нове.",
            questionnaire,
        )
    current = services.state(questionnaire)
    if current == "draft":
        return _not_found()
    if current == "scheduled":
        return _status(
            404,
            "Опитування ще не розпочалося",
            f"Відповіді на цю анкету прийматимуть з {date_uk(questionnaire.opens_on)}. "
            "Поверніться за цим самим посиланням у цей день.",
            questionnaire,
        )
    if current == "closed":
        return _status(
            410,
            "Опитування завершено",
            f"Відповіді на цю анкету приймали до {date_uk(questionnaire.closes_on)}. "
            "Дякуємо всім, хто відповів!",
            questionnaire,
        )
    return None


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="dozq.survey-answered")


def _already_answered(questionnaire: Questionnaire) -> bool:
    cookie = request.cookies.get(f"{COOKIE_PREFIX}{questionnaire.id}")
    if not cookie:
        return False
    try:
        return _serializer().loads(cookie) == questionnaire.id
    except BadSignature:
        return False


def _remember_answer(response, questionnaire_id: int) -> None:
    """A signed cookie saying «this browser has answered»: nothing about the answers."""
    response.set_cookie(
        f"{COOKIE_PREFIX}{questionnaire_id}",
        _serializer().dumps(questionnaire_id),
        max_age=400 * 24 * 3600,
        path="/s/",
        secure=request.is_secure,
        httponly=True,
        samesite="Lax",
    )


def _form(questionnaire, structure, action: str, parsed: ParsedSubmission | None, status=200):
    return render(
        "surveys/public_form.html",
        status=status,
        questionnaire=questionnaire,
        institution=g.survey_institution,
        structure=structure,
        parsed=parsed,
        action=action,
        submission_key=(parsed.key if parsed and parsed.key else services.new_key()),
        paper=False,
    )


def _collect(questionnaire: Questionnaire, *, link=None, code=None, action: str, thanks: str):
    structure = services.question_views(questionnaire.id)
    if request.method == "GET":
        return _form(questionnaire, structure, action, None)
    limit = current_app.config.get("SURVEY_SUBMIT_LIMIT", DEFAULT_LIMIT)
    if not limiter.allow(request.remote_addr, questionnaire.id, limit):
        return _status(
            429,
            "Забагато відповідей з цієї мережі",
            "З вашої мережі щойно надійшло дуже багато відповідей на цю анкету. "
            "Зачекайте годину й спробуйте знову.",
            questionnaire,
        )
    parsed = parse_submission(structure, request.form)
    if not parsed.ok:
        return _form(questionnaire, structure, action, parsed, status=422)
    questionnaire_id = questionnaire.id
    if code is not None and not services.spend_code(code):
        db.session.rollback()
        return _spent(questionnaire)
    try:
        services.store_response(
            questionnaire,
            parsed.answers,
            channel=Channel.CODE if code is not None else Channel.ONLINE,
            audience=link.audience if link is not None else questionnaire.audience,
            group_id=(link or code).group_id,
            submission_key=parsed.key,
        )
    except services.DuplicateSubmission:
        # The same form arrived twice (a network retry): it is stored once.
        db.session.rollback()
    else:
        db.session.commit()
    response = redirect(thanks, 303)
    if link is not None:
        _remember_answer(response, questionnaire_id)
    return response


def _spent(questionnaire):
    return _status(
        410,
        "Цей код уже використано",
        "За цим кодом анкету вже заповнено: кожен код дозволяє відповісти лише один раз. "
        "Якщо ви ще не відповідали, зверніться до закладу по новий код.",
        questionnaire,
    )


def _link(token: str) -> SurveyLink | None:
    if g.survey_institution is None:
        return None
    return db.session.scalar(
        select(SurveyLink)
        .where(SurveyLink.token == token)
        .options(joinedload(SurveyLink.questionnaire))
    )


@bp.route("/s/<token>", methods=["GET", "POST"])
@public
def link_form(token: str):
    """The questionnaire opened from a public link or its QR code."""
    link = _link(token)
    if link is None:
        return _not_found()
    questionnaire = link.questionnaire
    if refusal := _refusal(questionnaire, link):
        return refusal
    if _already_answered(questionnaire):
        return _status(
            409,
            "Ви вже відповіли на цю анкету",
            "З цього браузера анкету вже заповнено, дякуємо! Щоб результати були "
            "чесними, одна родина відповідає один раз.",
            questionnaire,
        )
    return _collect(
        questionnaire,
        link=link,
        action=url_for("survey_public.link_form", token=token),
        thanks=url_for("survey_public.link_thanks", token=token),
    )


@bp.get("/s/<token>/thanks")
@public
def link_thanks(token: str):
    link = _link(token)
    if link is None:
        return _not_found()
    return render(
        "surveys/public_thanks.html",
        questionnaire=link.questionnaire,
        institution=g.survey_institution,
    )


def _code(token: str) -> SurveyCode | None:
    if g.survey_institution is None:
        return None
    return db.session.scalar(
        select(SurveyCode).where(SurveyCode.code == services.normalise_code(token))
    )


@bp.route("/c/<token>", methods=["GET", "POST"])
@public
def code_form(token: str):
    """The questionnaire opened with a printed single-use code."""
    code = _code(token)
    if code is None:
        return _not_found()
    questionnaire = db.session.get(Questionnaire, code.questionnaire_id)
    if refusal := _refusal(questionnaire):
        return refusal
    if code.spent:
        return _spent(questionnaire)
    return _collect(
        questionnaire,
        code=code,
        action=url_for("survey_public.code_form", token=code.code),
        thanks=url_for("survey_public.code_thanks", token=code.code),
    )


@bp.get("/c/<token>/thanks")
@public
def code_thanks(token: str):
    code = _code(token)
    if code is None:
        return _not_found()
    return render(
        "surveys/public_thanks.html",
        questionnaire=db.session.get(Questionnaire, code.questionnaire_id),
        institution=g.survey_institution,
    )


@bp.get("/c/")
@public
def code_entry():
    """Typing the code from a printed card by hand."""
    typed = services.normalise_code(request.args.get("code", ""))
    error = None
    if "code" in request.args:
        if len(typed) == services.CODE_LENGTH:
            return redirect(url_for("survey_public.code_form", token=typed), 303)
        error = "Код складається з 10 літер і цифр, наприклад ABCDE-23456."
    return render(
        "surveys/code_entry.html",
        status=422 if error else 200,
        error=error,
        typed=request.args.get("code", "")[:40],
    )
