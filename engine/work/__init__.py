"""What people do with cases: task operations, worklists, casework, case status, the public portal, statistics,
a campaign's participants."""
from . import campaign_view, case_status, casework, portal, stats, tasks, worklists
from .campaign_view import participant_figures, participants

__all__ = ["campaign_view", "case_status", "casework", "portal", "stats", "tasks", "worklists", "participant_figures",
           "participants"]
