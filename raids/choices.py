"""The vocabularies of raids and prosecutions: states, roles, checklist items, sections of law."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RaidStatus(models.TextChoices):
    PLANNING = "planning", _("Planning")
    APPROVED = "approved", _("Approved")
    BRIEFED = "briefed", _("Briefed")
    EXECUTED = "executed", _("Executed")
    DEBRIEFED = "debriefed", _("Debriefed")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


#: Once briefed, the team may read the target and grounds (until the raid is cancelled).
TARGET_OPEN_TO_TEAM = (
    RaidStatus.BRIEFED,
    RaidStatus.EXECUTED,
    RaidStatus.DEBRIEFED,
    RaidStatus.CLOSED,
)
LIVE_STATUSES = (
    RaidStatus.PLANNING,
    RaidStatus.APPROVED,
    RaidStatus.BRIEFED,
    RaidStatus.EXECUTED,
    RaidStatus.DEBRIEFED,
)


class TeamRole(models.TextChoices):
    OFFICER = "officer", _("Police officer")
    WOMAN_OFFICER = "woman_officer", _("Woman police officer")
    RESCUE_WORKER = "rescue_worker", _("NGO rescue worker")
    COUNSELLOR = "counsellor", _("Counsellor")
    CWC_MEMBER = "cwc_member", _("CWC member")
    WCD_MEMBER = "wcd_member", _("WCD / DCPU member")
    MEDICAL = "medical", _("Medical")
    INTERPRETER = "interpreter", _("Interpreter")
    MAGISTRATE_LIAISON = "magistrate_liaison", _("Administration / magistrate liaison")
    OTHER = "other", _("Other")


class ChecklistPhase(models.TextChoices):
    BEFORE_ENTRY = "before", _("Before entry")
    AFTER_ENTRY = "after", _("After entry")


class ChecklistCode(models.TextChoices):
    GROUNDS_RECORDED = "grounds", _("Grounds for the search recorded in writing before entry")
    TWO_WITNESSES = "witnesses", _("Two respectable local witnesses present")
    WOMAN_WITNESS = "woman_witness", _("At least one of the witnesses is a woman")
    WOMEN_OFFICERS = "women_officers", _("Women officers present where women or girls may be found")
    AV_RECORDING = "av_recording", _("Search and seizure recorded on audio-video (reference noted)")
    MAGISTRATE = "magistrate", _("Persons removed produced before the magistrate forthwith")
    CWC_PRODUCTION = "cwc", _("Children produced before the Child Welfare Committee")
    AGE_ASSESSMENT = "age", _("Preliminary age assessment of every rescued person")


#: The legal checklist: (code, phase, source), in the order shown.
CHECKLIST: tuple[tuple[ChecklistCode, ChecklistPhase, str], ...] = (
    (ChecklistCode.GROUNDS_RECORDED, ChecklistPhase.BEFORE_ENTRY, "ITPA s.15(2); BNSS s.105"),
    (ChecklistCode.TWO_WITNESSES, ChecklistPhase.BEFORE_ENTRY, "ITPA s.15(2)"),
    (ChecklistCode.WOMAN_WITNESS, ChecklistPhase.BEFORE_ENTRY, "ITPA s.15(2)"),
    (ChecklistCode.WOMEN_OFFICERS, ChecklistPhase.BEFORE_ENTRY, "ITPA s.15(6A)"),
    (ChecklistCode.AV_RECORDING, ChecklistPhase.AFTER_ENTRY, "BNSS ss.105, 176(3)"),
    (ChecklistCode.AGE_ASSESSMENT, ChecklistPhase.AFTER_ENTRY, "Meerut FTU SOP (2019)"),
    (ChecklistCode.MAGISTRATE, ChecklistPhase.AFTER_ENTRY, "ITPA s.15(5)"),
    (ChecklistCode.CWC_PRODUCTION, ChecklistPhase.AFTER_ENTRY, "JJ Act s.31; POCSO Rules r.4"),
)


class TaskState(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    DONE = "done", _("Done")
    BLOCKED = "blocked", _("Blocked")


#: Allowed task moves.  Done is final; a blocked task can be picked up again.
TASK_MOVES: dict[str, tuple[str, ...]] = {
    TaskState.OPEN: (TaskState.ACKNOWLEDGED, TaskState.DONE, TaskState.BLOCKED),
    TaskState.ACKNOWLEDGED: (TaskState.DONE, TaskState.BLOCKED),
    TaskState.BLOCKED: (TaskState.OPEN, TaskState.ACKNOWLEDGED, TaskState.DONE),
    TaskState.DONE: (),
}


class OffenderRole(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    TRAFFICKER = "trafficker", _("Trafficker")
    FACILITATOR = "facilitator", _("Facilitator (brothel keeper, agent, landlord)")
    OTHER = "other", _("Other")


class AgeBand(models.TextChoices):
    UNDER_12 = "u12", _("Under 12")
    AGE_12_15 = "12_15", _("12 to 15")
    AGE_16_17 = "16_17", _("16 to 17")
    UNCERTAIN = "uncertain", _("Uncertain (treated as a child)")
    AGE_18_PLUS = "18plus", _("18 or over")


MINOR_BANDS = (AgeBand.UNDER_12, AgeBand.AGE_12_15, AgeBand.AGE_16_17, AgeBand.UNCERTAIN)


class Sex(models.TextChoices):
    FEMALE = "f", _("Female")
    MALE = "m", _("Male")
    TRANSGENDER = "t", _("Transgender")
    UNKNOWN = "u", _("Not recorded")


class Need(models.TextChoices):
    MEDICAL = "medical", _("Medical care")
    SHELTER = "shelter", _("Shelter")
    COUNSELLING = "counselling", _("Counselling")
    INTERPRETER = "interpreter", _("Interpreter")
    LEGAL_AID = "legal_aid", _("Legal aid")
    FAMILY_TRACING = "family_tracing", _("Family tracing")
    SPECIAL_EDUCATOR = "special_educator", _("Special educator")


class Section(models.TextChoices):
    """Sections of law invoked in an FIR or charged against an accused."""

    POCSO_3 = "pocso_3", _("POCSO s.3 (penetrative sexual assault)")
    POCSO_4 = "pocso_4", _("POCSO s.4 (punishment for penetrative sexual assault)")
    POCSO_5 = "pocso_5", _("POCSO s.5 (aggravated penetrative sexual assault)")
    POCSO_6 = "pocso_6", _("POCSO s.6 (punishment for aggravated penetrative sexual assault)")
    POCSO_7 = "pocso_7", _("POCSO s.7 (sexual assault)")
    POCSO_8 = "pocso_8", _("POCSO s.8 (punishment for sexual assault)")
    POCSO_9 = "pocso_9", _("POCSO s.9 (aggravated sexual assault)")
    POCSO_10 = "pocso_10", _("POCSO s.10 (punishment for aggravated sexual assault)")
    POCSO_11 = "pocso_11", _("POCSO s.11 (sexual harassment)")
    POCSO_12 = "pocso_12", _("POCSO s.12 (punishment for sexual harassment)")
    POCSO_14 = "pocso_14", _("POCSO s.14 (using a child for pornographic purposes)")
    POCSO_17 = "pocso_17", _("POCSO s.17 (abetment)")
    POCSO_21 = "pocso_21", _("POCSO s.21 (failure to report)")
    BNS_64 = "bns_64", _("BNS s.64 (rape)")
    BNS_65 = "bns_65", _("BNS s.65 (rape of a woman under 16 / 12)")
    BNS_96 = "bns_96", _("BNS s.96 (procuration of a child)")
    BNS_98 = "bns_98", _("BNS s.98 (selling a child for prostitution)")
    BNS_99 = "bns_99", _("BNS s.99 (buying a child for prostitution)")
    BNS_143 = "bns_143", _("BNS s.143 (trafficking of persons)")
    BNS_144 = "bns_144", _("BNS s.144 (exploitation of a trafficked person)")
    IPC_370 = "ipc_370", _("IPC s.370 (trafficking of persons)")
    IPC_370A = "ipc_370a", _("IPC s.370A (exploitation of a trafficked person)")
    IPC_372 = "ipc_372", _("IPC s.372 (selling a minor for prostitution)")
    IPC_373 = "ipc_373", _("IPC s.373 (buying a minor for prostitution)")
    IPC_376 = "ipc_376", _("IPC s.376 (rape)")
    ITPA_3 = "itpa_3", _("ITPA s.3 (keeping a brothel)")
    ITPA_4 = "itpa_4", _("ITPA s.4 (living on the earnings of prostitution)")
    ITPA_5 = "itpa_5", _("ITPA s.5 (procuring, inducing or taking persons)")
    ITPA_6 = "itpa_6", _("ITPA s.6 (detaining a person where prostitution is carried on)")
    ITPA_7 = "itpa_7", _("ITPA s.7 (prostitution in or near public places)")
    ITPA_8 = "itpa_8", _("ITPA s.8 (seducing or soliciting)")


SECTION_CODES = frozenset(Section.values)
#: BNSS s.193(2): investigation to be completed within two months for these POCSO sections.
CHARGE_SHEET_CLOCK_SECTIONS = frozenset(
    {Section.POCSO_4, Section.POCSO_6, Section.POCSO_8, Section.POCSO_10}
)
CHARGE_SHEET_MONTHS = 2


def act_of(code: str) -> str:
    return code.split("_", 1)[0]


class Stage(models.TextChoices):
    ARRESTED = "arrested", _("Arrested")
    CHARGE_SHEETED = "charge_sheeted", _("Charge-sheeted")
    ON_TRIAL = "on_trial", _("On trial")
    CONVICTED = "convicted", _("Convicted")
    ACQUITTED = "acquitted", _("Acquitted")
    DISCHARGED = "discharged", _("Discharged")


#: Rank of each stage: a stage may only move to a higher rank.  The three endings share one.
STAGE_RANK: dict[str, int] = {
    Stage.ARRESTED: 0,
    Stage.CHARGE_SHEETED: 1,
    Stage.ON_TRIAL: 2,
    Stage.CONVICTED: 3,
    Stage.ACQUITTED: 3,
    Stage.DISCHARGED: 3,
}
FINAL_STAGES = (Stage.CONVICTED, Stage.ACQUITTED, Stage.DISCHARGED)
