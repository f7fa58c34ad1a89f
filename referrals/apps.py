from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = _("Child cases and referrals")

    def ready(self) -> None:
        from agencies.services_actions import register_identity_guard
        from ftu import navigation
        from ftu.policy import Cap
        from notifications.kinds import register_kind
        from referrals import (
            clock_rules,  # noqa: F401  (registers the statutory clock rules)
            identity,
            retention,  # noqa: F401  (registers the identity-retention tick)
        )

        # The actions feed refuses a post holding the identity of a child in a case the
        # poster holds (issue #8): compared with stored blind indexes, nothing decrypted.
        register_identity_guard(identity.guard)

        register_kind(
            "case.from_rescue", _("A child case opened from a rescue"), urgent=True, group="case"
        )
        register_kind("referral.sent", _("A referral to your organisation"), group="referral")
        register_kind("referral.accepted", _("Your referral was accepted"), group="referral")
        register_kind("referral.assigned", _("You are named caseworker"), group="referral")
        register_kind(
            "referral.declined", _("A referral was declined"), urgent=True, group="referral"
        )
        register_kind("referral.withdrawn", _("A referral was withdrawn"), group="referral")
        register_kind("referral.completed", _("A referral was completed"), group="referral")
        register_kind(
            "referral.due_soon", _("A referral awaits your answer"), urgent=True, group="referral"
        )
        register_kind(
            "referral.overdue",
            _("A referral was not answered in time"),
            urgent=True,
            group="referral",
        )
        register_kind("case.closed", _("A case you hold was closed"), group="referral")
        register_kind("case.reopened", _("A case you hold was reopened"), group="referral")
        register_kind("lead.new", _("A new lead about an offender"), urgent=True, group="lead")
        register_kind("lead.acknowledged", _("Your lead was acknowledged"), group="lead")
        register_kind("lead.acted", _("The police acted on your lead"), group="lead")

        navigation.register("referrals:cases", _("Cases"), Cap.CASE_LIST, order=20)
        navigation.register("referrals:inbox", _("Referral inbox"), Cap.CASE_LIST, order=21)
        navigation.register("referrals:outbox", _("Referrals sent"), Cap.CASE_LIST, order=22)
        navigation.register("referrals:clocks", _("Deadlines"), Cap.CASE_LIST, order=23)
        navigation.register("referrals:leads", _("Leads"), Cap.LEAD_RECEIVE, order=24)
