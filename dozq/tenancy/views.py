"""Pages of the platform administrator, of founders and of an institution's people."""

from flask import Blueprint, flash, g, redirect, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload

from dozq.auth import services as auth_services
from dozq.auth.models import Invitation, User
from dozq.db import db
from dozq.tenancy import services
from dozq.tenancy.access import founder_bp, institution_bp, requires
from dozq.tenancy.forms import (
    STAFF_INVITE_ROLES,
    FounderForm,
    InstitutionForm,
    InviteForm,
    NewInstitutionForm,
    RoleForm,
)
from dozq.tenancy.models import (
    INSTITUTION_ROLES,
    MANAGERS,
    Founder,
    FounderAdmin,
    Institution,
    Membership,
    Role,
)
from dozq.tenancy.scope import BYPASS_OPTION, Scope, tenant_scope
from dozq.web.errors import DomainError
from dozq.web.forms import form_status
from dozq.web.htmx import is_fragment_request, render

admin_bp = Blueprint("admin", __name__, url_prefix="/admin")

ANY_MEMBER = INSTITUTION_ROLES


# The platform administrator: founders and accounts, never a tenant's data.


@admin_bp.get("/")
@requires(Role.PLATFORM_ADMIN)
def founders():
    """All founders on the platform."""
    rows = db.session.execute(
        select(Founder, func.count(Institution.id))
        .outerjoin(Institution, Institution.founder_id == Founder.id)
        .group_by(Founder.id)
        .order_by(Founder.name)
        .execution_options(**{BYPASS_OPTION: True})
    ).all()
    return render("tenancy/admin_founders.html", rows=rows)


@admin_bp.route("/founders/new", methods=["GET", "POST"])
@requires(Role.PLATFORM_ADMIN)
def new_founder():
    """Add a founder."""
    form = FounderForm()
    if form.validate_on_submit():
        try:
            founder = services.create_founder(current_user, form.data)
        except DomainError as error:
            form.slug.errors.append(str(error))
        else:
            db.session.commit()
            flash(
                f"Засновника «{founder.name}» створено. Запросіть його адміністратора.", "success"
            )
            return redirect(url_for("admin.invite_founder_admin", founder_id=founder.id), 303)
    return render("tenancy/founder_form.html", status=form_status(form), form=form, founder=None)


@admin_bp.route("/founders/<int:founder_id>/edit", methods=["GET", "POST"])
@requires(Role.PLATFORM_ADMIN)
def edit_founder(founder_id: int):
    """Change a founder's name and details."""
    founder = db.get_or_404(Founder, founder_id)
    form = FounderForm(obj=founder)
    if form.validate_on_submit():
        try:
            changed = services.update_founder(current_user, founder, form.data)
        except DomainError as error:
            form.slug.errors.append(str(error))
        else:
            db.session.commit()
            flash("Дані засновника збережено." if changed else "Змін не було.", "success")
            return redirect(url_for("admin.founders"), 303)
    return render("tenancy/founder_form.html", status=form_status(form), form=form, founder=founder)


@admin_bp.route("/founders/<int:founder_id>/invite", methods=["GET", "POST"])
@requires(Role.PLATFORM_ADMIN)
def invite_founder_admin(founder_id: int):
    """Invite the person who will administer a founder's institutions."""
    founder = db.get_or_404(Founder, founder_id)
    form = InviteForm((Role.FOUNDER_ADMIN,))
    if form.validate_on_submit():
        with tenant_scope(db.session, Scope.for_founder(founder.id, ())):
            auth_services.invite(
                current_user,
                email=form.email.data,
                full_name=form.full_name.data,
                role=Role.FOUNDER_ADMIN,
                where=founder,
                position=form.position.data,
            )
            db.session.commit()
        flash(f"Запрошення надіслано на {form.email.data}.", "success")
        return redirect(url_for("admin.founders"), 303)
    return render("tenancy/invite.html", status=form_status(form), form=form, place=founder.name)


@admin_bp.get("/users")
@requires(Role.PLATFORM_ADMIN)
def users():
    """Every account: names, addresses and whether it may sign in."""
    accounts = db.session.scalars(select(User).order_by(User.full_name)).all()
    return render("tenancy/admin_users.html", accounts=accounts)


@admin_bp.post("/users/<int:user_id>/active")
@requires(Role.PLATFORM_ADMIN)
def toggle_user(user_id: int):
    """Disable an account (it is signed out everywhere) or enable it again."""
    user = db.get_or_404(User, user_id)
    try:
        auth_services.set_user_active(current_user, user, not user.is_active)
    except DomainError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        state = "увімкнено" if user.is_active else "вимкнено"
        flash(f"Обліковий запис {user.email} {state}.", "success")
    return redirect(url_for("admin.users"), 303)


# A founder's administrator: its institutions and their heads.


def _founder_institution(institution_id: int) -> Institution:
    return db.get_or_404(Institution, institution_id)


@founder_bp.get("/", endpoint="home")
@requires(Role.FOUNDER_ADMIN)
def founder_home():
    """The founder's institutions with their heads and staff numbers."""
    staff = (
        select(Membership.institution_id, func.count(Membership.id).label("staff"))
        .group_by(Membership.institution_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Institution, func.coalesce(staff.c.staff, 0))
        .outerjoin(staff, staff.c.institution_id == Institution.id)
        .order_by(Institution.short_name)
    ).all()
    return render("tenancy/founder_home.html", rows=rows)


@founder_bp.route("/institutions/new", methods=["GET", "POST"])
@requires(Role.FOUNDER_ADMIN)
def new_institution():
    """Add an institution of this founder."""
    form = NewInstitutionForm()
    if form.validate_on_submit():
        institution = services.create_institution(current_user, form.data)
        db.session.commit()
        flash(f"Заклад «{institution.short_name}» створено. Запросіть його керівника.", "success")
        return redirect(url_for("founder.institution", institution_id=institution.id), 303)
    return render("tenancy/institution_new.html", status=form_status(form), form=form)


@founder_bp.get("/institutions/<int:institution_id>", endpoint="institution")
@requires(Role.FOUNDER_ADMIN)
def founder_institution(institution_id: int):
    """An institution's profile and its heads, as the founder sees them."""
    institution = _founder_institution(institution_id)
    directors = db.session.scalars(
        select(Membership)
        .where(Membership.institution_id == institution.id, Membership.role == Role.DIRECTOR)
        .options(joinedload(Membership.user))
    ).all()
    invitations = db.session.scalars(
        select(Invitation).where(
            Invitation.institution_id == institution.id,
            Invitation.role == Role.DIRECTOR,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
    ).all()
    return render(
        "tenancy/founder_institution.html",
        institution=institution,
        directors=directors,
        invitations=invitations,
    )


@founder_bp.route("/institutions/<int:institution_id>/edit", methods=["GET", "POST"])
@requires(Role.FOUNDER_ADMIN)
def edit_institution(institution_id: int):
    """Edit an institution's profile on its founder's side."""
    institution = _founder_institution(institution_id)
    form = InstitutionForm(obj=institution)
    status = form_status(form)
    if form.validate_on_submit():
        try:
            services.update_institution(current_user, institution, form.data, form.version.data)
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
            status = error.status_code
        else:
            db.session.commit()
            flash("Профіль закладу збережено.", "success")
            return redirect(url_for("founder.institution", institution_id=institution.id), 303)
    return render(
        "tenancy/founder_institution_edit.html", status=status, form=form, institution=institution
    )


@founder_bp.route("/institutions/<int:institution_id>/invite", methods=["GET", "POST"])
@requires(Role.FOUNDER_ADMIN)
def invite_director(institution_id: int):
    """Invite an institution's head (керівник), who then invites the staff."""
    institution = _founder_institution(institution_id)
    form = InviteForm((Role.DIRECTOR,))
    if form.validate_on_submit():
        auth_services.invite(
            current_user,
            email=form.email.data,
            full_name=form.full_name.data,
            role=Role.DIRECTOR,
            where=institution,
            position=form.position.data or "директор",
        )
        db.session.commit()
        flash(f"Запрошення надіслано на {form.email.data}.", "success")
        return redirect(url_for("founder.institution", institution_id=institution.id), 303)
    return render(
        "tenancy/invite.html", status=form_status(form), form=form, place=institution.short_name
    )


@founder_bp.get("/admins")
@requires(Role.FOUNDER_ADMIN)
def admins():
    """Who administers this founder's institutions."""
    rows = db.session.scalars(select(FounderAdmin).options(joinedload(FounderAdmin.user))).all()
    return render("tenancy/founder_admins.html", admins=rows)


# An institution's own pages.


@institution_bp.get("/", endpoint="home")
@requires(*ANY_MEMBER)
def institution_home():
    """The institution's start page: where things stand and what to do next."""
    staff_count = db.session.scalar(select(func.count(Membership.id)))
    pending = db.session.scalar(
        select(func.count(Invitation.id)).where(
            Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None)
        )
    )
    return render("tenancy/institution_home.html", staff_count=staff_count, pending=pending)


@institution_bp.get("/profile")
@requires(*ANY_MEMBER)
def profile():
    """The institution's profile: names, codes, contacts, head."""
    return render("tenancy/profile.html", "tenancy/_profile.html", institution=g.institution)


@institution_bp.route("/profile/edit", methods=["GET", "POST"])
@requires(*MANAGERS)
def edit_profile():
    """Edit the profile in place (htmx) or as a page."""
    institution = g.institution
    form = InstitutionForm(obj=institution)
    status = form_status(form)
    if form.validate_on_submit():
        try:
            changed = services.update_institution(
                current_user, institution, form.data, form.version.data
            )
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
            status = error.status_code
        else:
            db.session.commit()
            message = "Профіль збережено." if changed else "Змін не було."
            if is_fragment_request():
                return render(
                    "tenancy/profile.html",
                    "tenancy/_profile.html",
                    institution=institution,
                    saved=message,
                )
            flash(message, "success")
            return redirect(url_for("institution.profile"), 303)
    return render(
        "tenancy/profile_edit.html",
        "tenancy/_profile_form.html",
        status=status,
        form=form,
        institution=institution,
    )


@institution_bp.get("/staff")
@requires(*MANAGERS)
def staff():
    """The people of the institution and the invitations still open."""
    members = db.session.scalars(
        select(Membership)
        .join(Membership.user)
        .order_by(User.full_name)
        .options(contains_eager(Membership.user))
    ).all()
    invitations = db.session.scalars(
        select(Invitation)
        .where(Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
        .order_by(Invitation.created_at.desc())
    ).all()
    return render(
        "tenancy/staff.html",
        members=members,
        invitations=invitations,
        role_form=RoleForm(INSTITUTION_ROLES),
    )


@institution_bp.route("/staff/invite", methods=["GET", "POST"])
@requires(Role.DIRECTOR)
def invite_staff():
    """Invite a methodologist, a teacher or another staff member."""
    form = InviteForm(STAFF_INVITE_ROLES)
    if form.validate_on_submit():
        auth_services.invite(
            current_user,
            email=form.email.data,
            full_name=form.full_name.data,
            role=Role(form.role.data),
            where=g.institution,
            position=form.position.data,
        )
        db.session.commit()
        flash(f"Запрошення надіслано на {form.email.data}.", "success")
        return redirect(url_for("institution.staff"), 303)
    return render(
        "tenancy/invite.html", status=form_status(form), form=form, place=g.institution.short_name
    )


@institution_bp.post("/staff/<int:membership_id>/role")
@requires(Role.DIRECTOR)
def change_role(membership_id: int):
    """Give a member another role (inline, in the staff list)."""
    membership = db.get_or_404(Membership, membership_id)
    form = RoleForm(INSTITUTION_ROLES)
    if form.validate_on_submit():
        try:
            services.change_role(current_user, membership, Role(form.role.data))
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(f"Роль {membership.user.full_name} змінено.", "success")
    return redirect(url_for("institution.staff"), 303)


@institution_bp.post("/staff/<int:membership_id>/remove")
@requires(Role.DIRECTOR)
def remove_member(membership_id: int):
    """The person no longer works here."""
    membership = db.get_or_404(Membership, membership_id)
    try:
        services.remove_member(current_user, membership)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash("Працівника вилучено із закладу.", "success")
    return redirect(url_for("institution.staff"), 303)


@institution_bp.post("/invitations/<int:invitation_id>/revoke")
@requires(Role.DIRECTOR)
def revoke_invitation(invitation_id: int):
    """Withdraw an invitation that has not been accepted."""
    invitation = db.get_or_404(Invitation, invitation_id)
    try:
        auth_services.revoke_invitation(current_user, invitation)
    except DomainError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        flash("Запрошення відкликано.", "success")
    return redirect(url_for("institution.staff"), 303)
