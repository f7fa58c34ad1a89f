"""The statutory deadlines of a child case and of a referral, declared as data.

Each rule cites the provision it comes from.  The services in ``referrals.services`` start
and meet these clocks when they record the events (see the table in each rule's docstring
line below).  Legal texts were read from secondary copies: check against the bare acts.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from ftu.clocks import MISSED, Rule, register_rule
from ftu.models import Clock

H = datetime.timedelta(hours=1)
D = datetime.timedelta(days=1)
CASE_MODEL = "referrals.ChildCase"
REFERRAL_MODEL = "referrals.Referral"


def _case_code(case: Any) -> str:
    return case.code


def _case_people(clock: Clock, case: Any, event: str) -> list[Any]:
    from referrals import selectors

    people = selectors.case_holder_people(case)
    if event == MISSED:
        people += selectors.convenors()
    return people


def _referral_code(referral: Any) -> str:
    return referral.case.code


def _referral_people(clock: Clock, referral: Any, event: str) -> list[Any]:
    """Due soon: the receiving coordinators.  Missed: the sender and the convenor, to re-refer."""
    from referrals import selectors

    if event == MISSED:
        return selectors.sender_people(referral) + selectors.convenors()
    return selectors.coordinators_of(referral.to_org_id)


def _referral_missed(clock: Clock, referral: Any) -> None:
    from referrals.services import referral_deadline_missed

    referral_deadline_missed(referral=referral)


def _case_rule(code: str, label: Any, citation: str, duration: datetime.timedelta, **kw: Any):
    return register_rule(
        Rule(
            code=code,
            label=label,
            citation=citation,
            duration=duration,
            recipients=_case_people,
            subject=_case_code,
            model=CASE_MODEL,
            **kw,
        )
    )


# Started when the case is recorded (time of rescue or first contact).
MEDICAL_CARE = _case_rule(
    "case.medical_care",
    _("Emergency medical care"),
    "POCSO Act s.19(5); POCSO Rules 2020 r.6",
    24 * H,
    warn_before=(6 * H, 1 * H),
)
REPORT_CWC_COURT = _case_rule(
    "case.report_cwc_court",
    _("Report to the CWC and the Special Court"),
    "POCSO Act s.19(6)",
    24 * H,
    warn_before=(6 * H, 1 * H),
)
CWC_PRODUCTION = _case_rule(
    "case.cwc_production",
    _("Production before the CWC"),
    "JJ Act 2015 s.31; POCSO Rules 2020 r.4",
    24 * H,
    warn_before=(6 * H, 1 * H),
)
# Started by the CWC production whose order asks for it; met when the age is determined.
AGE_DETERMINATION = _case_rule(
    "case.age_determination",
    _("Age determination"),
    "JJ Act 2015 s.94",
    15 * D,
    warn_before=(3 * D, 1 * D),
)
# Started by the first production before the CWC.
SIR = _case_rule(
    "case.sir",
    _("Social Investigation Report"),
    "JJ Act 2015 s.36",
    15 * D,
    warn_before=(3 * D, 1 * D),
)
FINAL_ORDER = _case_rule(
    "case.final_order",
    _("CWC final order"),
    "JJ Act 2015 s.36",
    datetime.timedelta(0),
    months=4,
    warn_before=(14 * D, 3 * D),
)

CASE_RULES = (MEDICAL_CARE, REPORT_CWC_COURT, CWC_PRODUCTION, AGE_DETERMINATION, SIR, FINAL_ORDER)
# The clocks a holder may record as met by hand (the others are met by their own services).
MILESTONE_RULES = {
    "medical_care": MEDICAL_CARE.code,
    "reported": REPORT_CWC_COURT.code,
    "sir": SIR.code,
}


def _referral_rule(urgency: str, duration: datetime.timedelta, warn: tuple) -> Rule:
    return register_rule(
        Rule(
            code=f"referral.response.{urgency}",
            label=_("Response to the referral"),
            citation=_("FTU referral protocol: response time by urgency"),
            duration=duration,
            warn_before=warn,
            kind_due_soon="referral.due_soon",
            kind_missed="referral.overdue",
            kind_met=None,
            recipients=_referral_people,
            subject=_referral_code,
            on_missed=_referral_missed,
            model=REFERRAL_MODEL,
        )
    )


REFERRAL_RESPONSE = {
    "emergency": _referral_rule("emergency", 4 * H, (1 * H,)),
    "urgent": _referral_rule("urgent", 24 * H, (6 * H, 1 * H)),
    "routine": _referral_rule("routine", 3 * D, (12 * H,)),
}
