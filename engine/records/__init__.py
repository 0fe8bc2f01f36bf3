"""What a case keeps and sends: numbers, directory entries, history, documents, attachments, notifications; ledgers
of imported records."""
from . import (
    attachments, directory, documents, draws, findings, history, ledger_import, ledgers, notifications, numbering,
)
from . import registries, registry_import
from .document_worker import TemplateFailed
from .documents import render_pending
from .notifications import SmtpSettings, send_pending_email

__all__ = ["attachments", "directory", "documents", "draws", "findings", "history", "ledger_import", "ledgers",
           "notifications", "numbering",
           "render_pending", "SmtpSettings", "TemplateFailed", "send_pending_email", "registries", "registry_import"]
