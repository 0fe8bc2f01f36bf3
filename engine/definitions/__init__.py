"""What policy staff publish: bundles of diagrams and forms, their validation, drafts, versions and diffs."""
from . import (
    bundle_diff, bundles, drafts, forms, limit_tables, report_schema, scoring, standard_workbook, standards,
    tree_checks, validation,
)

__all__ = ["bundle_diff", "bundles", "drafts", "forms", "limit_tables", "report_schema", "scoring",
           "standard_workbook", "standards", "tree_checks", "validation"]
