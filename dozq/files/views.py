"""Downloading an institution's files: members only, always as an attachment."""

from urllib.parse import quote

from flask import Blueprint, Response
from werkzeug.http import quote_header_value

from dozq.db import db
from dozq.files.models import StoredFile
from dozq.files.storage import storage
from dozq.tenancy.access import requires
from dozq.tenancy.models import INSTITUTION_ROLES

bp = Blueprint("files", __name__, url_prefix="/files")


@bp.get("/<int:stored_file_id>")
@requires(*INSTITUTION_ROLES)
def download(stored_file_id: int):
    """The file itself, never rendered by the browser as a page."""
    stored = db.get_or_404(StoredFile, stored_file_id)
    response = Response(storage().read(stored.storage_key), mimetype=stored.content_type)
    ascii_name = stored.original_name.encode("ascii", "ignore").decode() or "file"
    response.headers["Content-Disposition"] = (
        f"attachment; filename={quote_header_value(ascii_name)}; "
        f"filename*=UTF-8''{quote(stored.original_name, safe='')}"
    )
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
