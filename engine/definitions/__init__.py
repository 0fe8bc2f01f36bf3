"""What policy staff publish: bundles of diagrams and forms, their validation, drafts, versions and diffs."""
from . import (
    bundle_diff, bundles, drafts, forms, limit_tables, report_schema, scoring, standard_workbook, standards,
    tree_checks, validation,
)

__all__ = ["bundle_diff", "bundles", "drafts", "forms", "limit_tables", "report_schema", "scoring",
           "standard_workbook", "standards", "tree_checks", "validation"]

# A new decision table in a draft (issue 21).
from . import decision_tables  # noqa: E402

__all__ += ["decision_tables"]

# The limit names other files use, checked against their table (issue 21).
from . import limit_references  # noqa: E402

__all__ += ["limit_references"]
