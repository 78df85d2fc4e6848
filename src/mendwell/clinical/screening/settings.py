"""Screening settings: clinical numbers that no source gives, with documented defaults.

None of these defaults is a confirmed protocol value. Each is a setting so that a program's
medical monitor can set it, and every finding that depends on one is shown as UNCONFIRMED.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

HalfLifeBasis = Literal["upper", "typical"]


class ScreeningSettings(BaseModel):
    """Settings for washout planning and the numeric screening thresholds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    washout_half_life_multiple: float = Field(
        default=5.0,
        gt=0,
        le=20,
        description="Washout length as a multiple of the longest relevant half-life. "
        "UNCONFIRMED: the MDMA phase 3 washout rule was not retrieved; five half-lives is the "
        "common pharmacokinetic convention for near-complete elimination.",
    )
    washout_margin_days: int = Field(
        default=7,
        ge=0,
        le=180,
        description="Days added after the half-life part of the washout. UNCONFIRMED "
        "('5 half-lives plus 1 week' is a remembered, unverified protocol wording).",
    )
    half_life_basis: HalfLifeBasis = Field(
        default="upper",
        description="Which half-life to plan with where a source gives a range: the upper end "
        "(conservative) or the typical value.",
    )
    systolic_bp_max_mmhg: float = Field(
        default=140,
        ge=90,
        le=250,
        description="Baseline systolic blood pressure above which a clinician reviews. "
        "UNCONFIRMED (the protocols say 'uncontrolled hypertension' without a number).",
    )
    diastolic_bp_max_mmhg: float = Field(
        default=90,
        ge=50,
        le=150,
        description="Baseline diastolic blood pressure above which a clinician reviews. "
        "UNCONFIRMED.",
    )
    heart_rate_max_bpm: float = Field(
        default=100,
        ge=50,
        le=200,
        description="Baseline heart rate above which a clinician reviews. UNCONFIRMED.",
    )
    temperature_max_c: float = Field(
        default=38.0,
        ge=36,
        le=42,
        description="Baseline body temperature above which a clinician reviews. UNCONFIRMED.",
    )
    qtc_max_ms: float = Field(
        default=450,
        ge=350,
        le=600,
        description="Baseline QTc above which MDMA is excluded as 'marked QTc prolongation'. "
        "UNCONFIRMED (the protocols give no number).",
    )
    alt_max_u_per_l: float = Field(
        default=120,
        gt=0,
        le=2000,
        description="ALT above which a clinician reviews liver function. UNCONFIRMED.",
    )
    ast_max_u_per_l: float = Field(
        default=120,
        gt=0,
        le=2000,
        description="AST above which a clinician reviews liver function. UNCONFIRMED.",
    )
    bilirubin_max_umol_per_l: float = Field(
        default=34,
        gt=0,
        le=500,
        description="Total bilirubin above which a clinician reviews liver function. UNCONFIRMED.",
    )
    sodium_min_mmol_per_l: float = Field(
        default=135,
        ge=110,
        le=150,
        description="Serum sodium below which a clinician reviews for hyponatraemia. UNCONFIRMED "
        "as a screening cut-off in the MDMA protocols.",
    )
    parameter_overrides: dict[str, float | str] = Field(
        default_factory=dict,
        description="Protocol parameter overrides keyed '<rule set id>.<parameter>': a number, "
        "or the name of one of the parameter's documented options (for example "
        "{'mdma-at-phase3.caps5_minimum_total': 'mapp2'}).",
    )

    def threshold(self, name: str) -> float:
        """A numeric setting by name."""
        if name not in THRESHOLD_SETTINGS:
            raise KeyError(f"no numeric screening setting named {name!r}")
        return float(getattr(self, name))


THRESHOLD_SETTINGS: tuple[str, ...] = tuple(
    name
    for name, field in ScreeningSettings.model_fields.items()
    if name.endswith(("_mmhg", "_bpm", "_c", "_ms", "_u_per_l", "_umol_per_l", "_mmol_per_l"))
    and field.annotation is float
)
"""Settings a rule may use as a threshold (``threshold: {setting: <name>}``)."""
