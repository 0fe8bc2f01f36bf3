"""Uploaded files: read once and closed at once (large ones are spooled to temporary files)."""
from __future__ import annotations

from werkzeug.datastructures import FileStorage


def read(upload: FileStorage) -> bytes:
    """The whole content of an uploaded file; its temporary file is closed."""
    try:
        return upload.read()
    finally:
        upload.close()
