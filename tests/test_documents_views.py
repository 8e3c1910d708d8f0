"""Documents through their pages: generated and kept (version, sha256, file), signed
scans attached back, PDF copies made outside the request, own templates checked on
upload with a Ukrainian explanation, and the command line."""

import hashlib
import io

import pytest
from docx import Document
from sqlalchemy import select

from dozq.db import db
from dozq.documents import services
from dozq.documents.models import DocumentKind, DocumentTemplate, GeneratedDocument, PdfStatus
from dozq.files.models import StoredFile
from dozq.files.storage import storage
from dozq.regulation import services as regulation
from dozq.tenancy.models import Institution, Role
from dozq.tenancy.scope import BYPASS_OPTION, Scope, tenant_scope
from tests.conftest import STRICT
from tests.factories import sign_in_as, tiny_png
from tests.test_documents_render import text_of


def scope_of(institution_id):
    institution = db.session.get(
        Institution, institution_id, execution_options={BYPASS_OPTION: True}
    )
    return tenant_scope(db.session, Scope.for_institution(institution))


def docx_with(*paragraphs: str) -> bytes:
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()


def upload(client, slug, kind, data, name="шаблон.docx"):
    return client.post(
        f"/i/{slug}/documents/templates",
        data={"kind": kind, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def newest_document(world):
    with scope_of(world.a.institution_id):
        return db.session.scalar(select(GeneratedDocument).order_by(GeneratedDocument.id.desc()))


def test_generating_keeps_every_document_with_its_version_and_checksum(app, client, world):
    sign_in_as(app, client, world.a.users[Role.METHODOLOGIST])
    with app.app_context(), scope_of(world.a.institution_id):
        edition_id = regulation.edition_in_progress().id
    versions = []
    for _ in range(2):
        response = client.post(
            f"/i/{world.a.slug}/documents/generate",
            data={"kind": "regulation", "subject_id": edition_id},
        )
        assert response.status_code == 303
        with app.app_context():
            document = newest_document(world)
            versions.append(document.number)
            with scope_of(world.a.institution_id):
                stored = db.session.get(StoredFile, document.file_id)
                data = storage().read(stored.storage_key)
            assert hashlib.sha256(data).hexdigest() == document.sha256 == stored.sha256
            assert (document.subject_type, document.subject_id) == (
                "regulation_edition",
                edition_id,
            )
            assert document.created_by_id == world.a.users[Role.METHODOLOGIST]
        assert "Альфа" in text_of(data)
    assert versions == [1, 2]
    page = client.get(response.headers["Location"]).get_data(True)
    assert "Версія 2" in page and document.sha256 in page
    download = client.get(f"/i/{world.a.slug}/files/{document.file_id}")
    assert download.status_code == 200 and download.data == data
    # Teachers and other staff neither make nor list documents.
    sign_in_as(app, client, world.a.users[Role.TEACHER])
    assert (
        client.post(
            f"/i/{world.a.slug}/documents/generate", data={"kind": "regulation"}
        ).status_code
        == 403
    )
    assert client.get(f"/i/{world.a.slug}/documents/").status_code == 403


def test_a_foreign_subject_answers_404(app, client, world):
    with app.app_context(), scope_of(world.b.institution_id):
        foreign = regulation.edition_in_progress().id
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    response = client.post(
        f"/i/{world.a.slug}/documents/generate", data={"kind": "regulation", "subject_id": foreign}
    )
    assert response.status_code == 404


def test_a_signed_scan_makes_the_document_signed(app, client, world):
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    client.post(f"/i/{world.a.slug}/documents/generate", data={"kind": "regulation_order"})
    with app.app_context():
        document_id = newest_document(world).id
    url = f"/i/{world.a.slug}/documents/{document_id}/signed"
    refused = client.post(
        url,
        data={"file": (io.BytesIO(docx_with("не скан")), "скан.docx")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    assert "Вміст файлу не відповідає дозволеним типам" in refused.get_data(True)
    response = client.post(
        url,
        data={"file": (io.BytesIO(tiny_png(40, 30)), "підписаний наказ.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    with app.app_context(), scope_of(world.a.institution_id):
        document = db.session.get(GeneratedDocument, document_id)
        assert document.is_signed and document.signed_by_id == world.a.users[Role.DIRECTOR]
    page = client.get(f"/i/{world.a.slug}/documents/{document_id}").get_data(True)
    assert "підписано" in page


def test_bad_templates_are_refused_with_an_explanation(app, client, world):
    sign_in_as(app, client, world.a.users[Role.METHODOLOGIST])
    slug = world.a.slug
    unknown = upload(
        client,
        slug,
        "regulation_order",
        docx_with("{{ institution.full_name }} {{ pidpys_bukhgaltera }}"),
    )
    assert unknown.status_code == 422
    body = unknown.get_data(True)
    assert "{{ pidpys_bukhgaltera }}" in body and "Доступні змінні" in body
    syntax = upload(
        client, slug, "regulation_order", docx_with("{% for item in %}", "{% endfor %}")
    )
    assert syntax.status_code == 422
    assert "синтаксична помилка" in syntax.get_data(True)
    typo = upload(client, slug, "regulation_order", docx_with("{{ institution.nazva }}"))
    assert typo.status_code == 422
    assert "поля, якого немає" in typo.get_data(True)
    not_docx = upload(client, slug, "regulation_order", tiny_png(), name="бланк.docx")
    assert not_docx.status_code == 422
    with app.app_context(), scope_of(world.a.institution_id):
        kinds = [
            t.kind
            for t in db.session.scalars(select(DocumentTemplate).where(DocumentTemplate.is_active))
        ]
    assert DocumentKind.REGULATION not in kinds  # nothing new was kept


def test_an_own_template_is_used_until_the_default_is_restored(app, client, world):
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    slug = world.a.slug
    default = services.default_template(DocumentKind.REGULATION).read_bytes()
    document = Document(io.BytesIO(default))
    document.paragraphs[0].insert_paragraph_before("БЛАНК ЗАКЛАДУ «АЛЬФА»")
    output = io.BytesIO()
    document.save(output)
    assert upload(client, slug, "regulation", output.getvalue()).status_code == 303
    client.post(f"/i/{slug}/documents/generate", data={"kind": "regulation"})
    with app.app_context():
        generated = newest_document(world)
        with scope_of(world.a.institution_id):
            own = services.active_template(DocumentKind.REGULATION)
            data = storage().read(db.session.get(StoredFile, generated.file_id).storage_key)
    assert generated.template_id == own.id
    assert "БЛАНК ЗАКЛАДУ «АЛЬФА»" in text_of(data)
    assert client.post(f"/i/{slug}/documents/templates/{own.id}/default").status_code == 303
    client.post(f"/i/{slug}/documents/generate", data={"kind": "regulation"})
    with app.app_context():
        generated = newest_document(world)
        with scope_of(world.a.institution_id):
            data = storage().read(db.session.get(StoredFile, generated.file_id).storage_key)
    assert generated.template_id is None
    assert "БЛАНК ЗАКЛАДУ" not in text_of(data)
    default_download = client.get(f"/i/{slug}/documents/templates/default?kind=regulation_order")
    assert default_download.status_code == 200
    assert (
        default_download.data
        == services.default_template(DocumentKind.REGULATION_ORDER).read_bytes()
    )


def test_pdf_copies_are_made_outside_the_request(app, client, world):
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    client.post(f"/i/{world.a.slug}/documents/generate", data={"kind": "council_extract"})
    with app.app_context():
        document_id = newest_document(world).id
    assert client.post(f"/i/{world.a.slug}/documents/{document_id}/pdf").status_code == 303
    with app.app_context(), scope_of(world.a.institution_id):
        assert db.session.get(GeneratedDocument, document_id).pdf_status == PdfStatus.PENDING
    if services.soffice() is None:
        if STRICT:
            pytest.fail("LibreOffice (soffice) is not installed (DOZQ_TEST_STRICT is set)")
        pytest.skip("LibreOffice (soffice) is not installed")
    result = app.test_cli_runner().invoke(args=["dozq", "documents", "convert-pending"])
    assert result.exit_code == 0, result.output
    assert "ПДФ-копій створено: 1" in result.output
    with app.app_context(), scope_of(world.a.institution_id):
        document = db.session.get(GeneratedDocument, document_id)
        assert document.pdf_status == PdfStatus.DONE
        pdf = storage().read(db.session.get(StoredFile, document.pdf_file_id).storage_key)
    assert pdf.startswith(b"%PDF")


def test_the_command_writes_one_file_per_kind(app, world, tmp_path):
    result = app.test_cli_runner().invoke(
        args=["dozq", "documents", "render", world.a.slug, str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        kind.filename for kind in DocumentKind
    )
    assert "regulation.docx" in result.output
    assert "Альфа" in text_of((tmp_path / "regulation.docx").read_bytes())
    missing = app.test_cli_runner().invoke(
        args=["dozq", "documents", "render", "nemaie", str(tmp_path)]
    )
    assert missing.exit_code != 0 and "Закладу з адресою «nemaie» немає." in missing.output
