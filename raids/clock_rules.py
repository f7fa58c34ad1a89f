"""The prosecution's statutory deadline, declared on the shared clocks engine (ftu/clocks.py).

BNSS s.193(2): the investigation of an offence under POCSO s.4, 6, 8 or 10 is to be completed
within two months of the information being recorded.  The clock starts (from the FIR date)
as soon as an accused of the case is charged under one of those sections, and is met when
every such accused has been charge-sheeted (``raids.services`` keeps it in step).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from ftu.clocks import Rule, register_rule
from ftu.models import Clock

D = datetime.timedelta(days=1)


def _fir(case: Any) -> str:
    return f"FIR {case.fir_number}"


def _unit_police(clock: Clock, case: Any, event: str) -> list[Any]:
    """The police of the case's unit (the people who file the charge sheet)."""
    from agencies.models import Membership, User

    members = Membership.objects.active().filter(organisation_id=case.unit_id)
    return list(User.objects.filter(pk__in=members.values("user_id"), is_active=True))


CHARGE_SHEET = register_rule(
    Rule(
        code="prosecution.charge_sheet",
        label=_("Charge sheet (investigation complete)"),
        citation="BNSS 2023 s.193(2); POCSO Act ss.4, 6, 8, 10",
        # Started at the FIR day's first minute (IST): two months, then the whole due day
        # (due at 23:59 IST of the date ``ProsecutionCase.charge_sheet_due()`` gives).
        months=2,
        duration=D - datetime.timedelta(minutes=1),
        warn_before=(14 * D, 3 * D),
        recipients=_unit_police,
        subject=_fir,
        model="raids.ProsecutionCase",
    )
)
