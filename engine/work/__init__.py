"""What people do with cases: task operations, batch operations, worklists, casework, case status, the public
portal, statistics, the bottleneck map and the monthly ledgers, a campaign's participants, score sheets, what an
approver reviews."""
from . import (
    administration, batch, bottlenecks, campaign_view, case_status, casework, generator, monthly_ledgers, participants, plain, portal,
    public_lists, report_tree, reports, review, score_sheets, stats, tasks, trial, worklists,
)
from .score_sheets import score_sheet_start

__all__ = ["administration", "batch", "bottlenecks", "campaign_view", "case_status", "casework", "generator", "monthly_ledgers", "participants",
           "plain", "portal", "public_lists", "report_tree", "reports", "review", "score_sheets", "stats", "tasks", "worklists",
           "score_sheet_start", "trial"]
