"""What a case keeps and sends: numbers, directory entries, history, documents, attachments, notifications."""
from . import attachments, directory, documents, draws, findings, history, notifications, numbering
from .documents import render_pending
from .notifications import SmtpSettings, send_pending_email

__all__ = ["attachments", "directory", "documents", "draws", "findings", "history", "notifications", "numbering",
           "render_pending", "SmtpSettings", "send_pending_email"]
