"""Bundles: collect diagrams and forms, validate, store immutable content-hashed versions, publish one as active."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..core.errors import BundleInvalid, NotFound, Problem
from ..core.messages import Msg
from ..core.models import AuditEvent, Bundle, BundleFile, ProcessDefinition, Publication
from ..core.recipients import KnownPeople
from .ledger_schema import is_ledger_path
from .registry_schema import is_registry_path
from .limit_tables import is_limits_path
from .report_schema import is_report_path
from .standards import is_standard_path
from .validation import parse_bundle

BUNDLE_DIRS = ("processes", "forms")


def _kind(path: str) -> str:
    if is_standard_path(path):
        return "standard"
    if is_ledger_path(path):
        return "ledger"
    if is_report_path(path):
        return "report"
    if is_registry_path(path):
        return "registry"
    if is_limits_path(path):
        return "limits"
    for suffix, kind in ((".bpmn", "bpmn"), (".dmn", "dmn"), (".schema.json", "form"), (".ui.json", "ui")):
        if path.endswith(suffix):
            return kind
    return "file"


def collect(root: Path) -> dict[str, bytes]:
    """Read every file under `processes/` and `forms/` of a project root, keyed by relative path."""
    files: dict[str, bytes] = {}
    for top in BUNDLE_DIRS:
        base = Path(root) / top
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                files[path.relative_to(root).as_posix()] = path.read_bytes()
    return files


def content_hash(files: dict[str, bytes]) -> str:
    """A hash over every path and its content, independent of order."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.encode())
        digest.update(b"\0")
        digest.update(hashlib.sha256(files[path]).digest())
    return digest.hexdigest()


@dataclass
class DeployResult:
    """The bundle a deploy produced or found, and whether it is new."""

    bundle: Bundle
    created: bool
    warnings: list[Problem] = field(default_factory=list)      # problems that did not stop the deploy


def deploy(session: Session, files: dict[str, bytes], *, engine, actor: str = "system", note: str = "") -> DeployResult:
    """Validate the files and publish them: a new bundle version, or the version already holding this exact
    content (made active again if it is not: that is a rollback)."""
    warnings: list[Problem] = []
    bundle, created = store(session, files, engine=engine, actor=actor, note=note, warnings=warnings)
    if _published(session) is not bundle:
        publish(session, bundle, engine=engine, actor=actor, note=note)
    session.commit()
    return DeployResult(bundle, created, warnings)


def store(session: Session, files: dict[str, bytes], *, engine, actor: str = "system",
          note: str = "", warnings: list[Problem] | None = None) -> tuple[Bundle, bool]:
    """Validate the files and keep them as an immutable bundle version (flushed, not committed, not published);
    identical content is the version that already holds it. Any blocking problem raises BundleInvalid, storing
    nothing; warnings (see `drafts.validate`) do not stop it."""
    digest = content_hash(files)
    existing = session.scalar(select(Bundle).where(Bundle.content_hash == digest))
    if existing is not None:
        return existing, False
    parsed, problems = parse_bundle(files, engine.sandbox, KnownPeople(session))
    if any(p.blocking for p in problems):
        raise BundleInvalid([p for p in problems if p.blocking])
    if warnings is not None:
        warnings.extend(problems)
    version = (session.scalar(select(func.max(Bundle.version))) or 0) + 1
    bundle = Bundle(version=version, content_hash=digest, created_at=engine.now(), created_by=actor, note=note)
    session.add(bundle)
    session.flush()
    for path, content in files.items():
        session.add(BundleFile(bundle_id=bundle.id, path=path, kind=_kind(path),
                               sha256=hashlib.sha256(content).hexdigest(), content=content))
    for key, (spec, subs) in parsed.specs.items():
        session.add(ProcessDefinition(
            bundle_id=bundle.id, process_key=key, name=parsed.names[key], file_path=parsed.paths[key],
            properties=parsed.properties[key], spec_json=engine.codec.dump_specs(spec, subs)))
    session.flush()
    return bundle, True


def publish(session: Session, bundle: Bundle, *, engine, actor: str, note: str = "") -> Publication:
    """Make a stored version the active one (new cases start on it), audited; the caller commits."""
    previous = _published(session)
    publication = Publication(bundle_id=bundle.id, published_at=engine.now(), published_by=actor, note=note)
    session.add(publication)
    session.add(AuditEvent(case_id=None, actor=actor, at=engine.now(), action="bundle_published",
                           detail={"version": bundle.version, "previous": previous.version if previous else None,
                                   "note": note}))
    session.flush()
    return publication


def active_bundle(session: Session) -> Bundle | None:
    """The version new cases start on: the most recently published one (the newest stored, if none ever was)."""
    return _published(session) or session.scalar(select(Bundle).order_by(Bundle.version.desc()).limit(1))


def _published(session: Session) -> Bundle | None:
    return session.scalar(select(Bundle).join(Publication, Publication.bundle_id == Bundle.id)
                          .order_by(Publication.id.desc()).limit(1))


def latest_definition(session: Session, process_key: str) -> ProcessDefinition:
    """The process's definition in the active bundle version."""
    active = active_bundle(session)
    definition = session.scalar(select(ProcessDefinition).where(
        ProcessDefinition.process_key == process_key, ProcessDefinition.bundle_id == (active.id if active else -1)))
    if definition is None:
        raise NotFound(Msg("bundle.process_not_found", process=process_key), process=process_key)
    return definition


def latest_definitions(session: Session) -> list[ProcessDefinition]:
    """Every process of the active bundle version."""
    active = active_bundle(session)
    if active is None:
        return []
    return list(session.scalars(select(ProcessDefinition).where(ProcessDefinition.bundle_id == active.id)
                                .order_by(ProcessDefinition.process_key)))


def bundle_files(session: Session, bundle_id: int) -> dict[str, bytes]:
    """Every file of a bundle version, by path."""
    return dict(session.execute(select(BundleFile.path, BundleFile.content).where(BundleFile.bundle_id == bundle_id)).all())


def bundle_file(session: Session, bundle_id: int, path: str) -> bytes:
    """The content of one file of a bundle version."""
    content = session.scalar(select(BundleFile.content).where(
        BundleFile.bundle_id == bundle_id, BundleFile.path == path))
    if content is None:
        raise NotFound(Msg("bundle.file_not_found", path=path), path=path)
    return content
