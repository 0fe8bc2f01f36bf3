"""Uploaded files: read once and closed at once (large ones are spooled to temporary files), and the size a
request body may have, chosen before anything reads it."""
from __future__ import annotations

from werkzeug.datastructures import FileStorage

UPLOAD_ENDPOINTS = frozenset({"work.task_page"})        # task forms with their files
IMPORT_BLUEPRINT = "policy"                             # the draft editor: zips, templates, saved files
RULES_API_BLUEPRINT = "api_rules"                       # the same files sent by a pipeline through the API
LEDGER_ENDPOINTS = frozenset({"ledgers.upload"})        # ledger files (the import checks the importer's roles)
PORTAL_UPLOAD_ENDPOINTS = frozenset({"portal.submit"})  # a public submission with its evidence


def read(upload: FileStorage) -> bytes:
    """The whole content of an uploaded file; its temporary file is closed."""
    try:
        return upload.read()
    finally:
        upload.close()


def body_limit(config, endpoint: str | None, signed_in: bool, policy: bool) -> int:
    """Bytes this request's body may hold: MAX_CONTENT_LENGTH, or more for signed-in staff where files come in
    (UPLOAD_MAX_BYTES on the task page, IMPORT_MAX_BYTES in the draft editor for policy staff). Nobody gets the
    larger limit before the sign-in is known, so an anonymous request can never make the server read much, except
    a portal submission with its evidence (PORTAL_UPLOAD_MAX_BYTES, rate-limited before it is read)."""
    if endpoint in PORTAL_UPLOAD_ENDPOINTS:
        return int(config["PORTAL_UPLOAD_MAX_BYTES"])
    if signed_in and endpoint in UPLOAD_ENDPOINTS:
        return int(config["UPLOAD_MAX_BYTES"])
    if signed_in and endpoint in LEDGER_ENDPOINTS:
        return int(config["IMPORT_MAX_BYTES"])
    if policy and (endpoint or "").startswith((IMPORT_BLUEPRINT + ".", RULES_API_BLUEPRINT + ".")):
        return int(config["IMPORT_MAX_BYTES"])
    return int(config["MAX_CONTENT_LENGTH"])
