"""Drafts: policy staff edit a copy of the definitions (diagrams, forms, tables, templates), validate it, and
publish it as a new bundle version. Export and import move a version in and out as the processes/ + forms/ files."""
from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import PurePosixPath

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.errors import BundleInvalid, DataValidationError, FieldError, InvalidState, NotFound
from ..core.messages import Msg
from ..core.models import Bundle, BundleDraft, DraftFile
from ..core.recipients import KnownPeople
from .bundles import BUNDLE_DIRS, active_bundle, bundle_files, publish, store
from .validation import parse_bundle

ALLOWED_SUFFIXES = (".bpmn", ".dmn", ".json", ".docx", ".xlsx", ".csv", ".md", ".txt")
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ZIP_FILES = 500
# An imported zip is read within these bounds whatever its headers declare: a few kilobytes can inflate to gigabytes.
MAX_ZIP_BYTES = 50 * 1024 * 1024        # the zip itself, and everything it holds once inflated
MAX_ZIP_RATIO = 100                     # inflated / zip size, once more than MAX_ZIP_RATIO_FREE bytes are inflated
MAX_ZIP_RATIO_FREE = 1024 * 1024
_CHUNK = 64 * 1024
_BROKEN_ZIP = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, RuntimeError)


def create(session: Session, engine, *, actor: str, name: str, base_version: int | None = None) -> BundleDraft:
    """A draft holding a copy of a bundle version's files (the active one by default)."""
    if not name.strip():
        raise DataValidationError(Msg("draft.name_required"), [FieldError("name", Msg("draft.name_empty"), "required")])
    base = _version(session, base_version) if base_version else active_bundle(session)
    now = engine.now()
    draft = BundleDraft(name=name.strip()[:200], base_bundle_id=base.id if base else None, created_by=actor,
                        created_at=now, updated_at=now)
    session.add(draft)
    session.flush()
    for path, content in (bundle_files(session, base.id) if base else {}).items():
        session.add(DraftFile(draft_id=draft.id, path=path, content=content))
    session.commit()
    return draft


def get(session: Session, draft_id: int) -> BundleDraft:
    """A draft by id."""
    draft = session.get(BundleDraft, draft_id)
    if draft is None:
        raise NotFound(Msg("draft.not_found"), draft=draft_id)
    return draft


def files(session: Session, draft_id: int) -> dict[str, bytes]:
    """Every file of a draft, by path."""
    return dict(session.execute(select(DraftFile.path, DraftFile.content).where(DraftFile.draft_id == draft_id)).all())


def check_path(path: str, field: str = "path") -> str:
    """A file path a bundle may hold: under processes/ or forms/, no climbing out, a known kind of file."""
    clean = PurePosixPath(path.strip().replace("\\", "/"))
    if clean.is_absolute() or ".." in clean.parts or not clean.parts or clean.parts[0] not in BUNDLE_DIRS \
            or len(clean.parts) < 2:
        raise DataValidationError(Msg("draft.bad_path"), [FieldError(field, Msg("draft.path_outside", path=path), "path")])
    if not clean.name.endswith(ALLOWED_SUFFIXES) or clean.name.startswith("."):
        raise DataValidationError(Msg("draft.type_refused"), [FieldError(
            field, Msg("draft.type_not_allowed", name=clean.name, allowed=", ".join(ALLOWED_SUFFIXES)), "path")])
    return str(clean)


def put(session: Session, engine, draft_id: int, path: str, content: bytes, *, actor: str) -> None:
    """Add or replace one file of an unpublished draft."""
    draft = _editable(session, draft_id)
    path = check_path(path)
    if len(content) > MAX_FILE_BYTES:
        raise DataValidationError(Msg("draft.file_too_large"),
                                  [FieldError("content", Msg("draft.max_mb", mb=MAX_FILE_BYTES // 1024 // 1024), "size")])
    found = session.scalar(select(DraftFile).where(DraftFile.draft_id == draft_id, DraftFile.path == path))
    if found is None:
        session.add(DraftFile(draft_id=draft_id, path=path, content=content))
    else:
        found.content = content
    draft.updated_at = engine.now()
    session.commit()


def remove(session: Session, engine, draft_id: int, path: str) -> None:
    """Delete one file of an unpublished draft."""
    draft = _editable(session, draft_id)
    found = session.scalar(select(DraftFile).where(DraftFile.draft_id == draft_id, DraftFile.path == path))
    if found is None:
        raise NotFound(Msg("draft.file_not_found"), path=path)
    session.delete(found)
    draft.updated_at = engine.now()
    session.commit()


def validate(session: Session, engine, draft_id: int):
    """Every problem of the draft, each with its file, element and line; with no blocking one it can be published
    (warnings, such as a property name lawflow does not read, are for the author to judge)."""
    _, problems = parse_bundle(files(session, draft_id), engine.sandbox, KnownPeople(session))
    return problems


def publish_draft(session: Session, engine, draft_id: int, *, actor: str, note: str = "") -> Bundle:
    """Store the draft as a bundle version and make it active, in one transaction; a draft with any blocking
    problem raises BundleInvalid and leaves the active version as it was."""
    draft = _editable(session, draft_id)
    content = files(session, draft_id)
    try:
        bundle, _ = store(session, content, engine=engine, actor=actor, note=note or draft.name)
    except BundleInvalid:
        session.rollback()
        raise
    publish(session, bundle, engine=engine, actor=actor, note=note or draft.name)
    draft.published_bundle_id = bundle.id
    draft.updated_at = engine.now()
    session.commit()
    return bundle


def republish(session: Session, engine, version: int, *, actor: str, note: str = "") -> Bundle:
    """Rollback: make an earlier version the active one again."""
    bundle = _version(session, version)
    if active_bundle(session) is bundle:
        raise InvalidState(Msg("bundle.already_active", version=version))
    publish(session, bundle, engine=engine, actor=actor, note=note or Msg("bundle.rollback_note", version=version).dumps())
    session.commit()
    return bundle


def export_zip(session: Session, version: int) -> bytes:
    """A version's files as a zip in the processes/ + forms/ layout."""
    bundle = _version(session, version)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, content in sorted(bundle_files(session, bundle.id).items()):
            archive.writestr(path, content)
    return out.getvalue()


def import_zip(session: Session, engine, data: bytes, *, actor: str, name: str) -> BundleDraft:
    """A new draft from a zip in the processes/ + forms/ layout (a leading top folder is allowed). A zip that is
    damaged, lies in its headers or inflates past the limits is refused and nothing is stored."""
    content = _unzip(data)
    if not any(p.startswith("processes/") for p in content):
        raise DataValidationError(Msg("zip.no_diagrams"), [FieldError("file", Msg("zip.needs_processes"), "zip")])
    draft = create(session, engine, actor=actor, name=name)
    session.query(DraftFile).filter(DraftFile.draft_id == draft.id).delete()
    for path, body in content.items():
        session.add(DraftFile(draft_id=draft.id, path=path, content=body))
    session.commit()
    return draft


def _refused(title: str, field: str, message: Msg) -> DataValidationError:
    title = Msg(title)
    return DataValidationError(title, [FieldError(field, message, "zip")])


def _unzip(data: bytes) -> dict[str, bytes]:
    """The bundle files of a zip by path, read within MAX_ZIP_FILES, MAX_FILE_BYTES, MAX_ZIP_BYTES and
    MAX_ZIP_RATIO as actually inflated (a header's sizes are not trusted)."""
    if len(data) > MAX_ZIP_BYTES:
        raise _refused("zip.too_large", "file", Msg("draft.max_mb", mb=MAX_ZIP_BYTES // 1024 // 1024))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = [e for e in archive.infolist() if not e.is_dir()]
    except _BROKEN_ZIP:
        raise _refused("zip.unreadable", "file", Msg("zip.not_zip")) from None
    if len(entries) > MAX_ZIP_FILES:
        raise _refused("zip.too_many_files", "file", Msg("zip.max_files", limit=MAX_ZIP_FILES))
    prefix = _common_top(entries)
    content: dict[str, bytes] = {}
    total = 0
    for entry in entries:
        relative = entry.filename[len(prefix):]
        if PurePosixPath(relative).name.startswith(".") or relative.startswith("__MACOSX"):
            continue
        path = check_path(relative, entry.filename)
        content[path] = _inflate(archive, entry, MAX_ZIP_BYTES - total)
        total += len(content[path])
        if total > MAX_ZIP_RATIO_FREE and total > MAX_ZIP_RATIO * len(data):
            raise _refused("zip.inflates_too_large", "file", Msg("zip.bomb", ratio=MAX_ZIP_RATIO))
    return content


def _inflate(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, budget: int) -> bytes:
    """One entry's bytes, inflated a chunk at a time and refused as soon as it passes a limit."""
    if entry.file_size > MAX_FILE_BYTES:
        raise _refused("draft.file_too_large", entry.filename, Msg("zip.file_max_mb", mb=MAX_FILE_BYTES // 1024 // 1024))
    chunks, size = [], 0
    try:
        with archive.open(entry) as stream:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > MAX_FILE_BYTES:
                    raise _refused("draft.file_too_large", entry.filename,
                                   Msg("zip.file_max_mb", mb=MAX_FILE_BYTES // 1024 // 1024))
                if size > budget:
                    raise _refused("zip.inflates_too_large", "file",
                                   Msg("zip.inflated_max_mb", mb=MAX_ZIP_BYTES // 1024 // 1024))
                chunks.append(chunk)
    except _BROKEN_ZIP as exc:      # wrong sizes or CRC, truncated data, encryption, an unknown compression method
        raise _refused("zip.damaged", entry.filename, Msg("zip.cannot_inflate", reason=_zip_reason(exc))) from None
    if size != entry.file_size:
        raise _refused("zip.damaged", entry.filename, Msg("zip.cannot_inflate", reason=Msg(
            "zip.size_mismatch", declared=entry.file_size, actual=size)))
    return b"".join(chunks)


def _zip_reason(exc: Exception) -> Msg:
    """Why an entry could not be inflated, in the words staff read."""
    if isinstance(exc, NotImplementedError):
        return Msg("zip.method")
    if isinstance(exc, RuntimeError):
        return Msg("zip.encrypted")
    if "CRC" in str(exc):
        return Msg("zip.crc")
    return Msg("zip.truncated")


def _common_top(entries) -> str:
    tops = {e.filename.split("/", 1)[0] for e in entries}
    if len(tops) == 1 and next(iter(tops)) not in BUNDLE_DIRS:
        return next(iter(tops)) + "/"
    return ""


def _editable(session: Session, draft_id: int) -> BundleDraft:
    draft = get(session, draft_id)
    if draft.published_bundle_id is not None:
        raise InvalidState(Msg("draft.published", version=draft.published.version), draft=draft_id)
    return draft


def _version(session: Session, version: int) -> Bundle:
    bundle = session.scalar(select(Bundle).where(Bundle.version == version))
    if bundle is None:
        raise NotFound(Msg("bundle.version_not_found", version=version), version=version)
    return bundle


def problems_if_put(session: Session, engine, draft_id: int, path: str, content: bytes):
    """Every problem the draft would have with `content` saved at `path`, storing nothing (the form editor
    refuses a save that gives the form a blocking problem of its own, such as a pattern RE2 cannot run)."""
    _editable(session, draft_id)
    content_of = files(session, draft_id)
    content_of[check_path(path)] = content
    _, problems = parse_bundle(content_of, engine.sandbox, KnownPeople(session))
    return problems
