"""Client-registry vocabulary and status rules."""

from __future__ import annotations

from enum import StrEnum


class ClientStatus(StrEnum):
    REFERRED = "referred"
    SCREENING = "screening"
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    ENROLLED = "enrolled"
    IN_TREATMENT = "in_treatment"
    FOLLOW_UP = "follow_up"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    LOST_TO_FOLLOW_UP = "lost_to_follow_up"


STATUS_LABELS: dict[ClientStatus, str] = {
    ClientStatus.REFERRED: "Referred",
    ClientStatus.SCREENING: "Screening",
    ClientStatus.ELIGIBLE: "Eligible",
    ClientStatus.INELIGIBLE: "Ineligible",
    ClientStatus.ENROLLED: "Enrolled",
    ClientStatus.IN_TREATMENT: "In treatment",
    ClientStatus.FOLLOW_UP: "Follow-up",
    ClientStatus.COMPLETED: "Completed",
    ClientStatus.WITHDRAWN: "Withdrawn",
    ClientStatus.LOST_TO_FOLLOW_UP: "Lost to follow-up",
}

# Missing data must stay explainable: leaving the program always says why.
STATUSES_NEEDING_REASON = frozenset(
    {ClientStatus.WITHDRAWN, ClientStatus.LOST_TO_FOLLOW_UP, ClientStatus.INELIGIBLE}
)


class SexAtBirth(StrEnum):
    FEMALE = "female"
    MALE = "male"
    INTERSEX = "intersex"
    NOT_STATED = "not_stated"


class TraumaType(StrEnum):
    COMBAT = "combat"
    SEXUAL_ASSAULT = "sexual_assault"
    PHYSICAL_ASSAULT = "physical_assault"
    ACCIDENT = "accident"
    DISASTER = "disaster"
    CHILDHOOD_TRAUMA = "childhood_trauma"
    OTHER = "other"


TRAUMA_LABELS: dict[TraumaType, str] = {
    TraumaType.COMBAT: "Combat or military",
    TraumaType.SEXUAL_ASSAULT: "Sexual assault",
    TraumaType.PHYSICAL_ASSAULT: "Physical assault",
    TraumaType.ACCIDENT: "Accident",
    TraumaType.DISASTER: "Disaster",
    TraumaType.CHILDHOOD_TRAUMA: "Childhood trauma",
    TraumaType.OTHER: "Other",
}


class DiagnosisStatus(StrEnum):
    NOT_ASSESSED = "not_assessed"
    PROVISIONAL = "provisional"
    CONFIRMED = "confirmed"
    NOT_MET = "not_met"


DIAGNOSIS_LABELS: dict[DiagnosisStatus, str] = {
    DiagnosisStatus.NOT_ASSESSED: "Not yet assessed",
    DiagnosisStatus.PROVISIONAL: "Provisional (screening measure)",
    DiagnosisStatus.CONFIRMED: "Confirmed (structured interview)",
    DiagnosisStatus.NOT_MET: "Criteria not met",
}


class Psychotherapy(StrEnum):
    PROLONGED_EXPOSURE = "prolonged_exposure"
    CPT = "cognitive_processing_therapy"
    EMDR = "emdr"
    TF_CBT = "trauma_focused_cbt"
    NARRATIVE_EXPOSURE = "narrative_exposure"
    OTHER = "other"


PSYCHOTHERAPY_LABELS: dict[Psychotherapy, str] = {
    Psychotherapy.PROLONGED_EXPOSURE: "Prolonged exposure",
    Psychotherapy.CPT: "Cognitive processing therapy",
    Psychotherapy.EMDR: "EMDR",
    Psychotherapy.TF_CBT: "Trauma-focused CBT",
    Psychotherapy.NARRATIVE_EXPOSURE: "Narrative exposure therapy",
    Psychotherapy.OTHER: "Other",
}


class PriorPsychedelicUse(StrEnum):
    NONE = "none"
    PSYCHEDELICS = "psychedelics"
    MDMA = "mdma"
    BOTH = "both"
    UNKNOWN = "unknown"


PSYCHEDELIC_USE_LABELS: dict[PriorPsychedelicUse, str] = {
    PriorPsychedelicUse.NONE: "None",
    PriorPsychedelicUse.PSYCHEDELICS: "Classic psychedelics",
    PriorPsychedelicUse.MDMA: "MDMA",
    PriorPsychedelicUse.BOTH: "Both",
    PriorPsychedelicUse.UNKNOWN: "Not known",
}
