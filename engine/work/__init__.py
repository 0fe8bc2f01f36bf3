"""What people do with cases: task operations, worklists, casework, case status, the public portal, statistics."""
from . import case_status, casework, participants, portal, stats, tasks, worklists

__all__ = ["case_status", "casework", "participants", "portal", "stats", "tasks", "worklists"]
