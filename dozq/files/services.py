"""Accepting an upload: check it, clean it, store it, remember it."""

import hashlib
import unicodedata

from werkzeug.datastructures import FileStorage

from dozq.audit.services import record
from dozq.db import db
from dozq.files.checks import EVIDENCE, FileKind, accept
from dozq.files.models import StoredFile
from dozq.files.storage import storage
from dozq.tenancy.scope import current_scope


def display_name(filename: str | None, kind: FileKind) -> str:
    """The person's own name for the file, without folders, control characters or
    a misleading extension (Ukrainian letters kept: «фото.JPG» stays «фото.jpg»)."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C").strip(" .")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return f"{(stem or 'файл')[:200]}{kind.extension}"


def store_upload(
    upload: FileStorage, actor, allowed: tuple[FileKind, ...] = EVIDENCE
) -> StoredFile:
    """Keep an uploaded file of the current institution, or refuse it with a reason."""
    kind, data = accept(upload.read(), allowed)
    institution_id = current_scope(db.session).institution_id
    key = storage().save(institution_id, data, kind.extension)
    stored = StoredFile(
        original_name=display_name(upload.filename, kind),
        content_type=kind.content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage_key=key,
        uploaded_by_id=actor.id if actor else None,
    )
    db.session.add(stored)
    db.session.flush()
    record(actor, "file.uploaded", stored, f"Завантажено файл «{stored.original_name}»")
    return stored
