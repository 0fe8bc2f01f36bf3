"""What people do with cases: task operations, batch operations, worklists, casework, case status, the public
portal, statistics, the bottleneck map and the monthly ledgers, a campaign's participants, score sheets, what an
approver reviews."""
from . import (
    administration, batch, bottlenecks, campaign_view, case_status, casework, generator, monthly_ledgers, participants, plain, portal,
    public_lists, report_tree, reports, review, score_sheets, stats, tasks, trial, worklists,
)
from . import passwords, second_factor    # issue 22: password policy and the TOTP second factor
from .score_sheets import score_sheet_start

__all__ = ["administration", "batch", "bottlenecks", "campaign_view", "case_status", "casework", "generator", "monthly_ledgers", "participants",
           "plain", "portal", "public_lists", "report_tree", "reports", "review", "score_sheets", "stats", "tasks", "worklists",
           "score_sheet_start", "trial", "passwords", "second_factor"]
from . import external_sign_in     # sign-in through an OpenID Connect provider (issue 22)

__all__ += ["external_sign_in"]

# The working-day calendar of 系统管理 (issue 22).
from . import calendar_admin  # noqa: E402

__all__ += ["calendar_admin"]

# 系统管理 (issue 22): the role catalogue page and the Excel import of organisations and users.
from . import people_import, roles  # noqa: E402

__all__ += ["people_import", "roles"]
from . import operations       # readiness, heartbeats and the metrics' figures (issue 23)
__all__ += ["operations"]
from . import report_summary   # the stored summary of the reports' figures (issue 20)
__all__ += ["report_summary"]
