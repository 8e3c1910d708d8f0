"""Who may open which page: roles declared on views as data, tenants from the URL.

``/i/<institution_slug>/…`` pages run in the scope of that institution for its
members only; ``/f/<founder_slug>/…`` pages in the scope of the founder for its
administrators. Anyone else gets 404, the same answer as for a page that does
not exist; a member whose role may not use a page gets 403.
"""

from collections.abc import Callable
from functools import cache, wraps

from flask import Blueprint, abort, current_app, g
from flask_login import current_user
from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import contains_eager, joinedload

from dozq.extensions import db, login_manager
from dozq.tenancy.models import Founder, FounderAdmin, Institution, Membership, Role
from dozq.tenancy.scope import BYPASS_OPTION, Scope, set_scope

#: Marks a page anyone may open, signed in or not.
PUBLIC = frozenset({None})
#: Any signed-in person, whatever their workplaces.
SIGNED_IN = frozenset({"signed_in"})

institution_bp = Blueprint("institution", __name__, url_prefix="/i/<institution_slug>")
founder_bp = Blueprint("founder", __name__, url_prefix="/f/<founder_slug>")


def requires(*roles: Role | str | None) -> Callable:
    """Allow a view to the given roles; the set is kept on the view for tests and menus."""
    allowed = frozenset(roles)

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if allowed != PUBLIC:
                if not current_user.is_authenticated:
                    return login_manager.unauthorized()
                if allowed != SIGNED_IN and current_role() not in allowed:
                    abort(403)
            return view(*args, **kwargs)

        guarded.allowed_roles = allowed
        return guarded

    return decorate


def public(view):
    """Open to anyone: the login page, public links, health checks."""
    return requires(None)(view)


def signed_in(view):
    """Open to every signed-in person."""
    return requires("signed_in")(view)


def current_role() -> Role | None:
    """The role of the signed-in person where this request works."""
    if "role" in g:
        return g.role
    if current_user.is_authenticated and current_user.is_platform_admin:
        return Role.PLATFORM_ADMIN
    return None


def allowed_roles(endpoint: str) -> frozenset:
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "allowed_roles", frozenset())


def can(endpoint: str) -> bool:
    """May the current person open ``endpoint``? Menus show only what they may."""
    allowed = allowed_roles(endpoint)
    if allowed in (PUBLIC, SIGNED_IN):
        return allowed == PUBLIC or current_user.is_authenticated
    return current_role() in allowed


def _require_sign_in() -> None:
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())


@cache
def _institution_with_membership():
    """The institution of ``:slug`` with its founder and the membership of ``:user_id``
    in it: who may enter is checked before any scope exists, so this one statement
    crosses tenants (built once; the values are bound)."""
    return (
        select(Institution, Membership)
        .join(
            Membership,
            and_(
                Membership.institution_id == Institution.id,
                Membership.user_id == bindparam("user_id"),
            ),
        )
        .where(Institution.slug == bindparam("slug"))
        # Its founder is named on every page: loaded in the same statement.
        .options(joinedload(Institution.founder))
        .execution_options(**{BYPASS_OPTION: True})
    )


@institution_bp.url_value_preprocessor
def enter_institution(endpoint, values) -> None:
    slug = values.pop("institution_slug")
    _require_sign_in()
    found = db.session.execute(
        _institution_with_membership(), {"slug": slug, "user_id": current_user.id}
    ).first()
    if found is None:
        abort(404)
    institution, membership = found
    set_scope(db.session, Scope.for_institution(institution))
    g.institution = institution
    g.founder = institution.founder
    g.membership = membership
    g.role = membership.role


@institution_bp.url_defaults
def add_institution_slug(endpoint, values) -> None:
    if "institution" in g:
        values.setdefault("institution_slug", g.institution.slug)


@cache
def _founder_of_admin():
    """The founder of ``:slug`` if ``:user_id`` administers it: who may enter is checked
    before any scope exists, so this statement crosses tenants (built once)."""
    return (
        select(Founder)
        .where(
            Founder.slug == bindparam("slug"),
            select(FounderAdmin.id)
            .where(
                FounderAdmin.founder_id == Founder.id,
                FounderAdmin.user_id == bindparam("user_id"),
            )
            .exists(),
        )
        .execution_options(**{BYPASS_OPTION: True})
    )


@cache
def _institution_versions():
    """(id, data version) of the institutions of ``:founder_id``, by id."""
    return (
        select(Institution.id, Institution.data_version)
        .where(Institution.founder_id == bindparam("founder_id"))
        .order_by(Institution.id)
        .execution_options(**{BYPASS_OPTION: True})
    )


@founder_bp.url_value_preprocessor
def enter_founder(endpoint, values) -> None:
    slug = values.pop("founder_slug")
    _require_sign_in()
    founder = db.session.scalar(_founder_of_admin(), {"slug": slug, "user_id": current_user.id})
    if founder is None:
        abort(404)
    versions = tuple(
        (institution_id, version)
        for institution_id, version in db.session.execute(
            _institution_versions(), {"founder_id": founder.id}
        )
    )
    set_scope(db.session, Scope.for_founder(founder.id, [pair[0] for pair in versions]))
    g.founder = founder
    g.role = Role.FOUNDER_ADMIN
    #: (institution id, data version) of all its institutions: the key of what is
    #: computed from their data and kept between requests.
    g.institution_versions = versions


@founder_bp.url_defaults
def add_founder_slug(endpoint, values) -> None:
    if "founder" in g and "institution" not in g:
        values.setdefault("founder_slug", g.founder.slug)


def workplaces(user) -> tuple[list[Membership], list[FounderAdmin]]:
    """Everywhere ``user`` works: for the switcher and the start page."""
    bypass = {BYPASS_OPTION: True}
    memberships = db.session.scalars(
        select(Membership)
        .join(Membership.institution)
        .where(Membership.user_id == user.id)
        .order_by(Institution.short_name)
        .options(contains_eager(Membership.institution))
        .execution_options(**bypass)
    ).all()
    founder_roles = db.session.scalars(
        select(FounderAdmin)
        .join(FounderAdmin.founder)
        .where(FounderAdmin.user_id == user.id)
        .order_by(Founder.name)
        .options(contains_eager(FounderAdmin.founder))
        .execution_options(**bypass)
    ).all()
    return list(memberships), list(founder_roles)
