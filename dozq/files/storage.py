"""Where uploaded files live: outside the web root, a folder per institution.

Files are stored under random names; the person's own file name is kept only as
data. ``LocalStorage`` writes under ``UPLOAD_FOLDER``; another backend (object
storage) needs the same three methods.
"""

import os
import secrets
from pathlib import Path

from flask import current_app


class LocalStorage:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("storage key outside the storage root")
        return path

    def save(self, institution_id: int, data: bytes, extension: str) -> str:
        """Write the bytes durably; returns the key to find them again."""
        key = f"{institution_id}/{secrets.token_hex(16)}{extension}"
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(path.suffix + ".part")
        with open(partial, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
        return key

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def storage() -> LocalStorage:
    return LocalStorage(current_app.config["UPLOAD_FOLDER"])
