"""The foundation: errors, models, the database, the diagram vocabulary, organisations and people."""
from . import (
    backups, case_records, database_move, database_state, db, errors, ledger_records, models, messages, people, report_records, scope, values, vocabulary,
)
from . import operation_records
from .case_records import Attachment, CaseCopy, CaseDocument, CaseMessage, Notification, RandomDraw
from .ledger_records import LedgerImport, LedgerRow
from .report_records import MonthlyLedger
from .sign_in_records import PasswordHistory, SecondFactor
from .operation_records import SchedulerHeartbeat
from .db import begin_write, connect, session_factory, upgrade
from .errors import (
    BundleInvalid, CaseFailed, ConflictError, DataValidationError, EngineError, FieldError, ImportRefused,
    InvalidState, NotAllowed, NotFound, Problem, RowError, SandboxError, StepBudgetExceeded,
)
from .messages import Msg, as_msg
from .models import (
    ApiToken, AuditEvent, Base, Bundle, BundleDraft, BundleFile, BusinessSequence, CalendarDay, CalendarYear, Case,
    CaseAccess, DirectoryEntry, DraftFile, HumanTask, Organization, ProcessDefinition, Publication, Role,
    RateLimitCounter, SignInFailure, SignInSession, User, UserRole,
)
from .vocabulary import NOT_AFTER, NOT_BEFORE, TODAY

__all__ = [
    "backups", "case_records", "database_move", "database_state", "db", "errors", "ledger_records", "models", "messages", "people", "report_records", "scope",
    "values", "vocabulary", "Msg", "as_msg",
    "begin_write", "connect", "session_factory", "upgrade",
    "BundleInvalid", "CaseFailed", "ConflictError", "DataValidationError", "EngineError", "FieldError",
    "ImportRefused", "InvalidState", "NotAllowed", "NotFound", "Problem", "RowError", "SandboxError",
    "StepBudgetExceeded",
    "ApiToken", "Attachment", "AuditEvent", "Base", "Bundle", "BundleDraft", "BundleFile", "BusinessSequence",
    "CalendarDay", "CalendarYear", "Case", "CaseAccess", "CaseCopy", "CaseDocument", "CaseMessage", "DirectoryEntry",
    "DraftFile", "HumanTask", "LedgerImport", "LedgerRow", "MonthlyLedger",
    "Notification", "Organization", "ProcessDefinition",
    "Publication", "RandomDraw", "RateLimitCounter", "Role", "SignInFailure", "SignInSession", "User", "UserRole",
    "NOT_AFTER", "NOT_BEFORE", "TODAY",
    "PasswordHistory", "SecondFactor",
    "SchedulerHeartbeat",
]
from . import summary_records    # the stored summary of the reports' figures (issue 20)
__all__ += ["summary_records"]
