"""What an uploaded file really is, judged by its bytes, and whether it is safe to keep."""

import io
import zipfile
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from dozq.web.errors import DomainError

#: 40 megapixels: more than any phone camera, far less than a decompression bomb.
MAX_IMAGE_PIXELS = 40_000_000
#: An Office document unpacks to at most this much and has at most this many parts.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_ZIP_MEMBERS = 2_000


@dataclass(frozen=True)
class FileKind:
    code: str
    content_type: str
    extension: str
    label: str


JPEG = FileKind("jpeg", "image/jpeg", ".jpg", "зображення JPEG")
PNG = FileKind("png", "image/png", ".png", "зображення PNG")
PDF = FileKind("pdf", "application/pdf", ".pdf", "документ PDF")
DOCX = FileKind(
    "docx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".docx",
    "документ Word (DOCX)",
)
XLSX = FileKind(
    "xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xlsx",
    "таблиця Excel (XLSX)",
)

IMAGES = (JPEG, PNG)
EVIDENCE = (JPEG, PNG, PDF, DOCX)


class UnsafeFile(DomainError):
    """The file is refused; the message tells the person why, in Ukrainian."""


def sniff(data: bytes) -> FileKind | None:
    """The kind the content itself declares (magic bytes), whatever the name says."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"PK\x03\x04"):
        return _office_kind(data)
    return None


def _office_kind(data: bytes) -> FileKind | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist()[: MAX_ZIP_MEMBERS + 1])
    except zipfile.BadZipFile:
        return None
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    return None


def check_office_archive(data: bytes) -> None:
    """Refuse zip bombs: too many parts, or too much once unpacked."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise UnsafeFile("Документ містить забагато частин, щоб бути звичайним документом.")
        unpacked = sum(member.file_size for member in members)
        if unpacked > MAX_UNPACKED_BYTES:
            raise UnsafeFile("Документ після розпакування завеликий; можливо, він пошкоджений.")
        for member in members:
            if member.filename.startswith("/") or ".." in member.filename.split("/"):
                raise UnsafeFile("Документ має неприпустиму будову.")


def clean_image(data: bytes, kind: FileKind) -> bytes:
    """Re-encode a photo: drops EXIF (GPS included) and anything hidden after the image."""
    too_large = "Зображення має завелику роздільність (понад 40 мегапікселів)."
    try:
        with Image.open(io.BytesIO(data)) as probe:
            width, height = probe.size
    except Image.DecompressionBombError as error:
        raise UnsafeFile(too_large) from error
    except (UnidentifiedImageError, OSError) as error:
        raise UnsafeFile("Зображення пошкоджене або має невідомий формат.") from error
    if width * height > MAX_IMAGE_PIXELS:
        raise UnsafeFile(too_large)
    try:
        with Image.open(io.BytesIO(data)) as image:
            image = ImageOps.exif_transpose(image)
            output = io.BytesIO()
            if kind is JPEG:
                image.convert("RGB").save(output, "JPEG", quality=90, optimize=True)
            else:
                image.save(output, "PNG", optimize=True)
    except (OSError, ValueError) as error:
        raise UnsafeFile("Зображення пошкоджене або має невідомий формат.") from error
    return output.getvalue()


def accept(data: bytes, allowed: tuple[FileKind, ...]) -> tuple[FileKind, bytes]:
    """The file's kind and the bytes to keep, or ``UnsafeFile`` saying why not."""
    if not data:
        raise UnsafeFile("Файл порожній.")
    kind = sniff(data)
    if kind is None or kind not in allowed:
        names = ", ".join(kind.label for kind in allowed)
        raise UnsafeFile(f"Вміст файлу не відповідає дозволеним типам: {names}.")
    if kind in IMAGES:
        return kind, clean_image(data, kind)
    if kind in (DOCX, XLSX):
        check_office_archive(data)
    return kind, data
