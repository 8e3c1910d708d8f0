"""Uploads: judged by content, cleaned, stored under random names, served as attachments."""

import io
import struct
import zipfile
import zlib

import pytest
from PIL import Image
from sqlalchemy import select

from dozq.db import db
from dozq.files.checks import DOCX, EVIDENCE, JPEG, PNG, UnsafeFile, accept
from dozq.files.models import StoredFile
from dozq.files.services import display_name
from dozq.tenancy.models import Institution, Role
from dozq.tenancy.scope import Scope, tenant_scope
from tests.factories import sign_in_as, tiny_png, upload_file


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Камера"
    exif[0x8825] = {1: "N", 2: (50.0, 27.0, 0.0), 3: "E", 4: (30.0, 31.0, 0.0)}
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 200, 30)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def office_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


DOCX_PARTS = {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}


def huge_png_header(width: int, height: int) -> bytes:
    """A PNG that claims a size it does not have: the decoder must not even try."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    data = zlib.compress(b"\x00" * 64)
    idat = b"IDAT" + data
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
        + struct.pack(">I", len(data))
        + idat
        + struct.pack(">I", zlib.crc32(idat))
        + b"\x00\x00\x00\x00IEND\xaeB`\x82"
    )


HOSTILE = {
    "svg with a script": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "html named .pdf": b"<!doctype html><html><body>not a pdf</body></html>",
    "an executable named .jpg": b"\x7fELF\x02\x01\x01" + b"\x00" * 100,
    "a docx with 10,000 parts": office_zip(
        DOCX_PARTS | {f"word/media/{n}.bin": b"x" for n in range(10_000)}
    ),
    "a 30,000 × 30,000 image": huge_png_header(30_000, 30_000),
    "an empty file": b"",
    "a zip that is not a document": office_zip({"readme.txt": b"hello"}),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_files_are_refused_with_a_reason(name):
    with pytest.raises(UnsafeFile) as refused:
        accept(HOSTILE[name], EVIDENCE)
    assert str(refused.value)


def test_a_docx_zip_bomb_is_refused():
    bomb = office_zip(DOCX_PARTS | {"word/bomb.xml": b"\x00" * (101 * 1024 * 1024)})
    assert len(bomb) < 1024 * 1024
    with pytest.raises(UnsafeFile, match="завеликий"):
        accept(bomb, EVIDENCE)


def test_a_jpeg_html_polyglot_keeps_only_the_picture():
    polyglot = jpeg_with_gps() + b"<html><script>alert(document.cookie)</script></html>"
    kind, kept = accept(polyglot, EVIDENCE)
    assert kind is JPEG
    assert b"<script" not in kept


def test_photos_lose_exif_and_gps():
    _kind, kept = accept(jpeg_with_gps(), EVIDENCE)
    with Image.open(io.BytesIO(kept)) as image:
        assert not image.getexif()
        assert image.size == (40, 30)


def test_real_documents_pass():
    assert accept(office_zip(DOCX_PARTS), EVIDENCE)[0] is DOCX
    assert accept(b"%PDF-1.7\n%\xe2\xe3\n1 0 obj<<>>endobj\n%%EOF", EVIDENCE)[0].code == "pdf"
    assert accept(tiny_png(), EVIDENCE)[0] is PNG


def test_names_stay_ukrainian_and_lose_their_folders():
    assert display_name("фото.JPG", JPEG) == "фото.jpg"
    assert display_name("../../etc/passwd", PNG) == "passwd.png"
    assert display_name("C:\\Users\\Ольга\\звіт.exe", DOCX) == "звіт.docx"
    assert display_name("", JPEG) == "файл.jpg"


def test_one_byte_over_the_limit_gets_the_413_page(sibling_app):
    small = sibling_app(MAX_CONTENT_LENGTH=1000)
    response = small.test_client().post(
        "/login",
        data={"email": "x" * 990, "password": "y"},
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert "Розмір файлу або запиту перевищує дозволений." in response.get_data(as_text=True)


def test_stored_under_a_random_name_and_served_as_an_attachment(app, client, world):
    with app.app_context():
        institution = db.session.get(
            Institution, world.a.institution_id, execution_options={"all_tenants": True}
        )
        with tenant_scope(db.session, Scope.for_institution(institution)):
            stored = upload_file("../фото групи «Бджілки».jpg", jpeg_with_gps(), None)
            db.session.commit()
            file_id, key = stored.id, stored.storage_key
    assert key.startswith(f"{world.a.institution_id}/") and "фото" not in key and ".." not in key
    sign_in_as(app, client, world.a.users[Role.STAFF])
    response = client.get(f"/i/zdo-a/files/{file_id}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%D1%84%D0%BE%D1%82%D0%BE" in disposition
    with Image.open(io.BytesIO(response.data)) as image:
        assert not image.getexif()


def test_files_are_listed_only_in_their_institution(app, world):
    with app.app_context():
        institution = db.session.get(
            Institution, world.b.institution_id, execution_options={"all_tenants": True}
        )
        with tenant_scope(db.session, Scope.for_institution(institution)):
            names = db.session.scalars(select(StoredFile.original_name)).all()
    assert names and all("Бета" in name for name in names)
