"""Per-call scoring choices a site or clinician may make (cut-point, sex at birth)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

# Options a cut-point may name as its override (each an int | None field below).
CUT_POINT_OPTIONS = ("pcl5_cut_point",)


class ScoringOptions(BaseModel):
    """Choices that change how a result is interpreted, never how answers are summed.

    A cut-point names the option that overrides it (``option: pcl5_cut_point`` in its file), and
    the override must fall inside the cut-point's ``configurable_range``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    pcl5_cut_point: int | None = None
    sex_at_birth: str | None = None
    cut_point_id: str | None = None
