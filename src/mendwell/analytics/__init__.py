"""Pure outcome statistics: change scores, responder rates, MMRM, effect sizes."""

from mendwell.analytics.dataset import (
    OutcomeRecord,
    build_long_dataset,
    follow_up_rows,
    visit_levels,
)
from mendwell.analytics.effect_sizes import (
    EffectSize,
    cohens_d,
    effect_size_from_samples,
    hedges_g,
    paired_d,
)
from mendwell.analytics.errors import AnalysisDataError
from mendwell.analytics.mmrm import MMRMResult, fit_mmrm
from mendwell.analytics.summaries import (
    RemissionDefinition,
    change_summary,
    completion_by_visit,
    loss_of_diagnosis_rates,
    remission_rates,
    responder_rates,
    wilson_interval,
)

__all__ = [
    "AnalysisDataError",
    "EffectSize",
    "MMRMResult",
    "OutcomeRecord",
    "RemissionDefinition",
    "build_long_dataset",
    "change_summary",
    "cohens_d",
    "completion_by_visit",
    "effect_size_from_samples",
    "fit_mmrm",
    "follow_up_rows",
    "hedges_g",
    "loss_of_diagnosis_rates",
    "paired_d",
    "remission_rates",
    "responder_rates",
    "visit_levels",
    "wilson_interval",
]
