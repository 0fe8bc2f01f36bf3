"""What policy staff publish: bundles of diagrams and forms, their validation, drafts, versions and diffs."""
from . import bundle_diff, bundles, drafts, forms, scoring, standard_workbook, standards, validation

__all__ = ["bundle_diff", "bundles", "drafts", "forms", "scoring", "standard_workbook", "standards", "validation"]
