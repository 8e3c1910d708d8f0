"""Generating, keeping and signing documents; the institutions' own templates.

DOCX generation stays in the request: composing the context and filling the
template take tens of milliseconds. PDF copies are not made in the request:
LibreOffice needs about a second per document, so a request only marks the
document «pending», and ``flask dozq documents convert-pending`` (run by cron or
a systemd timer every minute) converts what is pending. A job table in the
database survives restarts and works with any number of web workers; an
in-process thread would not.
"""

import hashlib
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from jinja2 import TemplateError, TemplateSyntaxError, UndefinedError
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import FileStorage

from dozq.audit.services import record
from dozq.db import db, utcnow
from dozq.documents.kinds import KINDS, subject_model
from dozq.documents.make_templates import DOCX_DIR
from dozq.documents.models import DocumentKind, DocumentTemplate, GeneratedDocument, PdfStatus
from dozq.documents.render import render, template_variables
from dozq.files.checks import DOCX, IMAGES, PDF, UnsafeFile
from dozq.files.models import StoredFile
from dozq.files.services import store_upload
from dozq.files.storage import storage
from dozq.tenancy.scope import current_scope
from dozq.web.errors import DomainError

#: The kinds the regulation's page offers, about its edition.
REGULATION_KINDS = (
    DocumentKind.REGULATION,
    DocumentKind.REGULATION_ORDER,
    DocumentKind.COUNCIL_EXTRACT,
    DocumentKind.ACKNOWLEDGEMENT_SHEET,
)
SIGNED_SCANS = (PDF, *IMAGES)
PDF_TIMEOUT_SECONDS = 120


def default_template(kind: DocumentKind) -> Path:
    return DOCX_DIR / kind.filename


def active_template(kind: DocumentKind) -> DocumentTemplate | None:
    return db.session.scalar(
        select(DocumentTemplate)
        .where(DocumentTemplate.kind == kind, DocumentTemplate.is_active)
        .options(joinedload(DocumentTemplate.file))
    )


def active_templates() -> dict[DocumentKind, DocumentTemplate]:
    return {
        template.kind: template
        for template in db.session.scalars(
            select(DocumentTemplate)
            .where(DocumentTemplate.is_active)
            .options(joinedload(DocumentTemplate.file), joinedload(DocumentTemplate.uploaded_by))
        )
    }


def _subject_label(kind: DocumentKind, subject) -> str:
    if subject is None:
        return ""
    spec = KINDS[kind]
    if spec.subject_type == "regulation_edition":
        return f"редакція {subject.number}"
    if spec.subject_type == "monitoring_programme":
        return f"«{subject.subject}»"
    return getattr(subject, "title", "")


def build_context(institution, kind: DocumentKind, subject=None) -> dict:
    return KINDS[kind].build(institution, subject)


def resolve_subject(kind: DocumentKind, subject_id: int | None):
    """The subject a form names (scoped: another institution's id answers 404), or
    the kind's default one."""
    if subject_id:
        return db.get_or_404(subject_model(kind), subject_id)
    return KINDS[kind].default_subject()


def _store(data: bytes, name: str, content_type: str, extension: str, actor) -> StoredFile:
    institution_id = current_scope(db.session).institution_id
    key = storage().save(institution_id, data, extension)
    stored = StoredFile(
        original_name=name,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage_key=key,
        uploaded_by_id=actor.id if actor else None,
    )
    db.session.add(stored)
    db.session.flush()
    return stored


def _file_name(kind: DocumentKind, institution, number: int, extension: str = ".docx") -> str:
    return f"{kind.label} — {institution.short_name} (версія {number}){extension}".replace("/", "-")


def render_kind(
    institution, kind: DocumentKind, subject=None
) -> tuple[bytes, DocumentTemplate | None]:
    """The document's bytes, filled into the institution's template or the default."""
    context = build_context(institution, kind, subject)
    own = active_template(kind)
    source = storage().read(own.file.storage_key) if own is not None else default_template(kind)
    try:
        return render(source, context), own
    except TemplateError as error:
        if own is None:
            raise
        raise DomainError(
            f"Власний шаблон «{kind.label}» не вдалося заповнити ({error}). Завантажте "
            "виправлений шаблон або поверніться до типового."
        ) from error


def generate(actor, institution, kind: DocumentKind, subject=None) -> GeneratedDocument:
    """Make the document now and keep it: kind, version, who, when, file, sha256."""
    data, own = render_kind(institution, kind, subject)
    subject_type = KINDS[kind].subject_type if subject is not None else ""
    subject_id = subject.id if subject is not None else None
    number = (
        db.session.scalar(
            select(func.max(GeneratedDocument.number)).where(
                GeneratedDocument.kind == kind,
                GeneratedDocument.subject_type == subject_type,
                GeneratedDocument.subject_id.is_(None)
                if subject_id is None
                else GeneratedDocument.subject_id == subject_id,
            )
        )
        or 0
    ) + 1
    stored = _store(data, _file_name(kind, institution, number), DOCX.content_type, ".docx", actor)
    about = _subject_label(kind, subject)
    document = GeneratedDocument(
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id,
        number=number,
        title=kind.label + (f" ({about})" if about else ""),
        file_id=stored.id,
        sha256=stored.sha256,
        template_id=own.id if own is not None else None,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(document)
    db.session.flush()
    record(
        actor,
        "document.generated",
        document,
        f"Створено документ «{document.title}», версія {number}",
        kind=kind.value,
        sha256=stored.sha256,
    )
    return document


def history(kind: DocumentKind | None = None) -> list[GeneratedDocument]:
    query = (
        select(GeneratedDocument)
        .options(
            joinedload(GeneratedDocument.file),
            joinedload(GeneratedDocument.created_by),
            joinedload(GeneratedDocument.signed_file),
        )
        .order_by(GeneratedDocument.created_at.desc(), GeneratedDocument.id.desc())
    )
    if kind is not None:
        query = query.where(GeneratedDocument.kind == kind)
    return db.session.scalars(query).all()


def documents_for(edition) -> list[GeneratedDocument]:
    """Documents made about one edition of the regulation, newest first."""
    return db.session.scalars(
        select(GeneratedDocument)
        .where(
            GeneratedDocument.subject_type == "regulation_edition",
            GeneratedDocument.subject_id == edition.id,
        )
        .options(joinedload(GeneratedDocument.created_by))
        .order_by(GeneratedDocument.created_at.desc(), GeneratedDocument.id.desc())
    ).all()


def attach_signed(actor, document: GeneratedDocument, upload: FileStorage) -> StoredFile:
    """The scan of the signed paper (PDF or a photo): the document counts as signed."""
    stored = store_upload(upload, actor, SIGNED_SCANS)
    replaced = document.signed_file_id is not None
    document.signed_file_id = stored.id
    document.signed_at = utcnow()
    document.signed_by_id = actor.id
    db.session.flush()
    record(
        actor,
        "document.signed",
        document,
        f"До документа «{document.title}» (версія {document.number}) "
        + (
            "замінено скан підписаного примірника"
            if replaced
            else "додано скан підписаного примірника"
        ),
        file_id=stored.id,
    )
    return stored


def request_pdf(actor, document: GeneratedDocument) -> bool:
    """Ask for a PDF copy; False when one is ready or already waiting."""
    if document.pdf_status in (PdfStatus.PENDING, PdfStatus.DONE):
        return False
    document.pdf_status = PdfStatus.PENDING
    document.pdf_error = ""
    db.session.flush()
    record(
        actor,
        "document.pdf_requested",
        document,
        f"Замовлено ПДФ-копію документа «{document.title}» (версія {document.number})",
    )
    return True


# The institution's own templates.


@dataclass
class TemplateCheck:
    variables: set[str]
    unknown: set[str]


def _jinja_message(error: TemplateError) -> str:
    place = ""
    context = [line.strip() for line in getattr(error, "docx_context", []) or [] if line.strip()]
    if context:
        place = f" Поруч із текстом: «{' '.join(context)[:160]}»."
    if isinstance(error, TemplateSyntaxError):
        return (
            f"У шаблоні синтаксична помилка в тегах {{{{ … }}}} або {{% … %}}: «{error.message}»."
            + place
            + " Перевірте, що кожен тег закрито, а {% for %} і {% if %} мають пару "
            "{% endfor %} / {% endif %}."
        )
    if isinstance(error, UndefinedError):
        return (
            f"Шаблон звертається до поля, якого немає в даних документа: «{error.message}»." + place
        )
    return f"Шаблон не вдалося заповнити: «{error}».{place}"


def check_template(institution, kind: DocumentKind, data: bytes) -> TemplateCheck:
    """Test-render an uploaded template with this institution's data; DomainError
    in Ukrainian when it does not render."""
    try:
        variables = template_variables(data)
    except TemplateError as error:
        raise DomainError(_jinja_message(error)) from error
    except Exception as error:
        raise DomainError(
            "Файл не вдалося прочитати як шаблон документа Word. Збережіть його у форматі "
            "документа Word (розширення «.docx») і завантажте знову."
        ) from error
    context = build_context(institution, kind)
    unknown = variables - set(context)
    if unknown:
        names = ", ".join(f"{{{{ {name} }}}}" for name in sorted(unknown))
        known = ", ".join(sorted(context))
        raise DomainError(
            f"У шаблоні є змінні, яких немає в даних документа «{kind.label}»: {names}. "
            f"Доступні змінні: {known}."
        )
    try:
        render(data, context, strict=True)
    except TemplateError as error:
        raise DomainError(_jinja_message(error)) from error
    except Exception as error:
        raise DomainError(f"Шаблон не вдалося заповнити: «{error}».") from error
    return TemplateCheck(variables, unknown)


def upload_template(
    actor, institution, kind: DocumentKind, upload: FileStorage
) -> DocumentTemplate:
    """Keep the institution's template for ``kind`` once it renders; it replaces the
    one in use (the default stays available)."""
    data = upload.read()
    upload.stream.seek(0)
    if not data:
        raise UnsafeFile("Файл порожній.")
    check = check_template(institution, kind, data)
    stored = store_upload(upload, actor, (DOCX,))
    previous = active_template(kind)
    if previous is not None:
        previous.is_active = False
        db.session.flush()
    template = DocumentTemplate(
        kind=kind,
        file_id=stored.id,
        is_active=True,
        variables=sorted(check.variables),
        uploaded_by_id=actor.id,
    )
    db.session.add(template)
    db.session.flush()
    record(
        actor,
        "document.template_uploaded",
        template,
        f"Завантажено власний шаблон документа «{kind.label}»",
        kind=kind.value,
    )
    return template


def use_default(actor, template: DocumentTemplate) -> None:
    """Stop using the institution's template: the default one applies again."""
    if not template.is_active:
        return
    template.is_active = False
    db.session.flush()
    record(
        actor,
        "document.template_reset",
        template,
        f"Для документа «{template.kind.label}» знову використовується типовий шаблон",
        kind=template.kind.value,
    )


# PDF copies, outside the request.


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(data: bytes, timeout: int = PDF_TIMEOUT_SECONDS) -> bytes:
    """DOCX bytes → PDF bytes with LibreOffice headless (its own profile directory,
    so conversions never collide with a running LibreOffice)."""
    binary = soffice()
    if binary is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    with tempfile.TemporaryDirectory(prefix="dozq-pdf-") as directory:
        folder = Path(directory)
        source = folder / "document.docx"
        source.write_bytes(data)
        subprocess.run(
            [
                binary,
                f"-env:UserInstallation=file://{folder / 'profile'}",
                "--headless",
                "--norestore",
                "--convert-to",
                "pdf",
                "--outdir",
                str(folder),
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
        return (folder / "document.pdf").read_bytes()


def convert_pending(limit: int = 50) -> tuple[int, int]:
    """Convert the pending PDF copies of every institution; (done, failed)."""
    from dozq.tenancy.scope import Scope, tenant_scope
    from dozq.tenancy.services import all_institutions

    done = failed = 0
    # Scopes first: committing expires the institutions, which are not readable unscoped.
    scopes = [Scope.for_institution(institution) for institution in all_institutions()]
    for scope in scopes:
        with tenant_scope(db.session, scope):
            pending = db.session.scalars(
                select(GeneratedDocument)
                .where(GeneratedDocument.pdf_status == PdfStatus.PENDING)
                .options(joinedload(GeneratedDocument.file))
                .order_by(GeneratedDocument.id)
                .limit(limit)
            ).all()
            for document in pending:
                try:
                    pdf = to_pdf(storage().read(document.file.storage_key))
                except (OSError, RuntimeError, subprocess.SubprocessError) as error:
                    current_app.logger.warning("PDF conversion of document %s failed", document.id)
                    document.pdf_status = PdfStatus.FAILED
                    document.pdf_error = str(error)[:500]
                    failed += 1
                else:
                    name = document.file.original_name.removesuffix(".docx") + ".pdf"
                    stored = _store(pdf, name, PDF.content_type, ".pdf", None)
                    document.pdf_file_id = stored.id
                    document.pdf_status = PdfStatus.DONE
                    done += 1
                db.session.commit()
    return done, failed


def render_all(institution, outdir: Path) -> list[Path]:
    """One .docx per kind, named by kind, with the institution's current data."""
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in DocumentKind:
        data, _own = render_kind(institution, kind)
        path = outdir / kind.filename
        path.write_bytes(data)
        written.append(path)
    return written


def docx_bytes(document: GeneratedDocument) -> bytes:
    return storage().read(document.file.storage_key)
