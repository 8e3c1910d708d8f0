"""Upload → preview (columns recognised, corrected by the user) → save.

The same steps serve an institution importing the annex it has and the platform
administrator importing a platform template. The uploaded file is read once;
its rows travel with the preview form, signed, so correcting the columns needs
no new upload and works without JavaScript too.
"""

from collections.abc import Callable

from flask import flash, make_response, redirect, url_for

from dozq.catalog import importers
from dozq.catalog.forms import PreviewForm, UploadForm
from dozq.catalog.importers import ImportFailure, Preview
from dozq.catalog.importers.tables import ROLE_LABELS, check_roles
from dozq.catalog.models import METHOD_LABELS
from dozq.catalog.tree import counts_text, verify_statuses
from dozq.db import db
from dozq.web.errors import DomainError
from dozq.web.forms import choices
from dozq.web.htmx import is_fragment_request, render

STALE_MESSAGE = "Дані перегляду пошкоджено або застаріли. Завантажте файл ще раз."


class ImportFlow:
    def __init__(self, *, platform: bool, endpoint_prefix: str):
        self.platform = platform
        self.prefix = endpoint_prefix

    def _render(self, status: int = 200, **context):
        context.setdefault("upload_form", UploadForm(formdata=None))
        context.setdefault("preview", None)
        context.setdefault("error", None)
        context.setdefault("form", None)
        return render(
            "catalog/import.html",
            "catalog/_import_preview.html",
            status=status,
            platform=self.platform,
            urls={
                "upload": url_for(f"{self.prefix}.import_file"),
                "preview": url_for(f"{self.prefix}.import_preview"),
                "save": url_for(f"{self.prefix}.import_save"),
            },
            role_labels=ROLE_LABELS,
            method_labels=METHOD_LABELS,
            counts_text=counts_text,
            **context,
        )

    def _preview_form(self, staged_token: str, preview: Preview | None, formdata=None):
        form = PreviewForm(formdata=formdata, platform=self.platform)
        form.staged.data = staged_token
        if preview is not None and formdata is None:
            form.name.data = preview.catalog.name
            if self.platform and preview.catalog.origin:
                form.origin.data = preview.catalog.origin.value
        return form

    def _sync_columns(self, form: PreviewForm, preview: Preview | None, roles):
        """One select per column, showing the mapping actually used."""
        if preview is None or preview.recognition is None:
            while form.columns.entries:
                form.columns.pop_entry()
            return
        while form.columns.entries:
            form.columns.pop_entry()
        used = roles if roles is not None else preview.recognition.roles
        for role in used:
            form.columns.append_entry(role)
        for entry in form.columns.entries:
            entry.choices = choices(ROLE_LABELS)

    def _parse(self, staged: dict, roles):
        try:
            preview = importers.parse(staged, roles)
        except ImportFailure as failure:
            return None, failure
        verify_statuses(preview.catalog)
        return preview, None

    def upload(self):
        form = UploadForm()
        if not form.validate_on_submit():
            return self._render(status=form_status_for(form), upload_form=form)
        upload = form.file.data
        try:
            staged = importers.stage(upload.filename or "", upload.read())
        except ImportFailure as failure:
            form.file.errors.append(str(failure))
            return self._render(status=422, upload_form=form)
        preview, error = self._parse(staged, None)
        token = importers.dump_staged(staged)
        preview_form = self._preview_form(token, preview)
        if preview is None:
            preview_form.name.data = upload.filename.rsplit(".", 1)[0][:200]
            preview = self._recognition_only(staged)
        self._sync_columns(preview_form, preview, None)
        return self._render(
            status=422 if error else 200,
            upload_form=UploadForm(formdata=None),
            preview=preview if preview and preview.catalog else None,
            recognition=preview.recognition if preview else None,
            error=error,
            form=preview_form,
        )

    def _recognition_only(self, staged: dict) -> Preview | None:
        """When the file cannot be parsed as recognised, still show its columns."""
        if staged["kind"] != "table":
            return None
        from dozq.catalog.importers.tables import TableSource, recognise

        return Preview(None, recognise(TableSource.from_dict(staged["source"])))

    def _from_form(self):
        form = PreviewForm(platform=self.platform)
        staged = importers.load_staged(form.staged.data)
        roles = [entry.data for entry in form.columns.entries] or None
        return form, staged, roles

    def _stale(self):
        form = UploadForm(formdata=None)
        form.file.errors = [STALE_MESSAGE]
        return self._render(status=422, upload_form=form)

    def preview(self):
        form, staged, roles = self._from_form()
        if staged is None:
            return self._stale()
        error = None
        if roles is not None and (problem := check_roles(roles)):
            error = ImportFailure(problem, "Стовпці")
            preview = self._recognition_only(staged)
        else:
            preview, error = self._parse(staged, roles)
            if preview is None:
                preview = self._recognition_only(staged)
        self._sync_columns(form, preview, roles)
        return self._render(
            status=422 if error else 200,
            preview=preview if preview and preview.catalog else None,
            recognition=preview.recognition if preview else None,
            error=error,
            form=form,
        )

    def save(self, do_save: Callable, after: Callable):
        form, staged, roles = self._from_form()
        if staged is None:
            return self._stale()
        preview, error = self._parse(staged, roles)
        if preview is None:
            preview = self._recognition_only(staged)
            self._sync_columns(form, preview, roles)
            return self._render(
                status=422,
                preview=None,
                recognition=preview.recognition if preview else None,
                error=error,
                form=form,
            )
        if not form.validate_on_submit():
            self._sync_columns(form, preview, roles)
            return self._render(
                status=422, preview=preview, recognition=preview.recognition, form=form
            )
        try:
            result = do_save(preview, form)
        except DomainError as problem:
            db.session.rollback()
            form.name.errors.append(str(problem))
            self._sync_columns(form, preview, roles)
            return self._render(
                status=422, preview=preview, recognition=preview.recognition, form=form
            )
        db.session.commit()
        message, target = after(result)
        flash(message, "success")
        if is_fragment_request():
            response = make_response("", 204)
            response.headers["HX-Redirect"] = target
            return response
        return redirect(target, 303)


def form_status_for(form) -> int:
    return 422 if form.is_submitted() else 200
