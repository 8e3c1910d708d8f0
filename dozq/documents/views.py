"""Documents: make one (DOCX, in the request), download it, attach the signed scan,
ask for a PDF copy; an institution's own templates (its letterhead)."""

import io

from flask import Blueprint, abort, flash, g, redirect, request, send_file, url_for
from flask_login import current_user

from dozq.db import db
from dozq.documents import services
from dozq.documents.forms import GenerateForm, SignedForm, TemplateForm
from dozq.documents.models import DocumentKind, DocumentTemplate, GeneratedDocument
from dozq.regulation.forms import ActionForm
from dozq.tenancy.access import requires
from dozq.tenancy.models import MANAGERS
from dozq.web.errors import DomainError
from dozq.web.forms import form_status
from dozq.web.htmx import render

bp = Blueprint("documents", __name__, url_prefix="/documents")

T = "documents/"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _document_url(document: GeneratedDocument) -> str:
    return url_for(".document", generated_document_id=document.id)


@bp.get("/")
@requires(*MANAGERS)
def index():
    """Every kind of document with its template, and the documents made so far."""
    return render(
        T + "index.html",
        kinds=list(DocumentKind),
        own=services.active_templates(),
        documents=services.history()[:100],
        form=GenerateForm(),
    )


@bp.post("/generate")
@requires(*MANAGERS)
def generate():
    """Make a document now; it is kept, and its page offers the download."""
    form = GenerateForm()
    if not form.validate_on_submit():
        abort(400)
    kind = DocumentKind(form.kind.data)
    subject_id = int(form.subject_id.data) if (form.subject_id.data or "").isdigit() else None
    subject = services.resolve_subject(kind, subject_id)
    try:
        document = services.generate(current_user, g.institution, kind, subject)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".index"), 303)
    db.session.commit()
    flash(f"Документ «{document.title}» створено (версія {document.number}).", "success")
    return redirect(_document_url(document), 303)


def _document_page(document, form=None, status=200):
    return render(
        T + "document.html",
        status=status,
        document=document,
        signed_form=form or SignedForm(),
        soffice=services.soffice() is not None,
    )


@bp.get("/<int:generated_document_id>")
@requires(*MANAGERS)
def document(generated_document_id: int):
    """One generated document: its file, checksum, signed scan and PDF copy."""
    return _document_page(db.get_or_404(GeneratedDocument, generated_document_id))


@bp.post("/<int:generated_document_id>/signed")
@requires(*MANAGERS)
def attach_signed(generated_document_id: int):
    """Attach the scan of the signed paper; the document then counts as signed."""
    document = db.get_or_404(GeneratedDocument, generated_document_id)
    form = SignedForm()
    if not form.validate_on_submit():
        return _document_page(document, form, form_status(form))
    try:
        services.attach_signed(current_user, document, form.file.data)
    except DomainError as error:
        db.session.rollback()
        form.file.errors.append(str(error))
        return _document_page(document, form, error.status_code)
    db.session.commit()
    flash("Скан підписаного примірника додано: документ позначено як підписаний.", "success")
    return redirect(_document_url(document), 303)


@bp.post("/<int:generated_document_id>/pdf")
@requires(*MANAGERS)
def request_pdf(generated_document_id: int):
    """Ask for a PDF copy, made in the background within a minute or two."""
    document = db.get_or_404(GeneratedDocument, generated_document_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if services.request_pdf(current_user, document):
        db.session.commit()
        flash("ПДФ-копію буде готово за хвилину-дві: оновіть сторінку згодом.", "info")
    return redirect(_document_url(document), 303)


# Own templates.


def _templates_page(form, status=200):
    return render(
        T + "templates.html",
        status=status,
        kinds=list(DocumentKind),
        own=services.active_templates(),
        form=form,
    )


@bp.get("/templates")
@requires(*MANAGERS)
def templates():
    """The template of each document: the default one or the institution's own."""
    form = TemplateForm()
    if kind := request.args.get("kind"):
        form.kind.data = kind
    return _templates_page(form)


@bp.post("/templates")
@requires(*MANAGERS)
def upload_template():
    """Upload an own template: dozq fills it with this institution's data first and
    keeps it only if that works; otherwise it explains what is wrong."""
    form = TemplateForm()
    if not form.validate_on_submit():
        return _templates_page(form, form_status(form))
    kind = DocumentKind(form.kind.data)
    try:
        services.upload_template(current_user, g.institution, kind, form.file.data)
    except DomainError as error:
        db.session.rollback()
        form.file.errors.append(str(error))
        return _templates_page(form, error.status_code)
    db.session.commit()
    flash(f"Власний шаблон документа «{kind.label}» перевірено й збережено.", "success")
    return redirect(url_for(".templates"), 303)


@bp.post("/templates/<int:document_template_id>/default")
@requires(*MANAGERS)
def use_default(document_template_id: int):
    """Go back to the default template for this kind."""
    template = db.get_or_404(DocumentTemplate, document_template_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.use_default(current_user, template)
    db.session.commit()
    flash(f"Для документа «{template.kind.label}» використовується типовий шаблон.", "success")
    return redirect(url_for(".templates"), 303)


@bp.get("/templates/default")
@requires(*MANAGERS)
def default_template():
    """The default template of a kind, to adjust and upload back."""
    try:
        kind = DocumentKind(request.args.get("kind", DocumentKind.REGULATION.value))
    except ValueError:
        abort(404)
    return send_file(
        io.BytesIO(services.default_template(kind).read_bytes()),
        mimetype=DOCX_TYPE,
        as_attachment=True,
        download_name=f"шаблон — {kind.label}.docx",
    )
