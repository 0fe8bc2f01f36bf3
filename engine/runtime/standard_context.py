"""A helper that reads a scoring standard of the running case's bundle version, so a diagram grades a total it
computed (e.g. the mean of two sheets) by the standard's own bands rather than by numbers of its own."""
from __future__ import annotations

from ..core.errors import NotFound
from ..core.messages import Msg
from ..core.vocabulary import STANDARD_BAND_HELPER
from ..definitions.bundles import bundle_file
from ..definitions.standards import band_for
from .case_context import _instance


def standard_band(standard, total, veto=False) -> dict | None:
    """The band of `total` under the standard at `forms/<standard>` ({code, label, passed}), the standard's
    `veto_band` when `veto` is true; None when no band holds the total."""
    if isinstance(total, bool) or not isinstance(total, (int, float)):
        raise ValueError(Msg("context.band_total", value=repr(str(total)[:40])))
    instance = _instance()
    engine, session, case = instance.engine, instance.session, instance.case
    bundle_id = engine.properties(case.definition_id, lambda: case.definition)["bundle_id"]
    path = f"forms/{standard}"
    try:
        loaded = engine.standards.get(bundle_id, path, lambda: bundle_file(session, bundle_id, path))
    except NotFound:
        raise ValueError(Msg("context.no_standard", path=str(standard))) from None
    band = None
    if veto and loaded.get("veto_band"):
        band = next((b for b in loaded["bands"] if b["code"] == loaded["veto_band"]), None)
    band = band or band_for(loaded, total)
    if band is None:
        return None
    return {"code": band["code"], "label": band["label"], "passed": bool(band.get("passed", False))}


HELPERS = {STANDARD_BAND_HELPER: standard_band}
