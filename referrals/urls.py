from __future__ import annotations

from django.urls import path

from referrals import views

app_name = "referrals"

urlpatterns = [
    path("", views.case_list, name="cases"),
    path("new/", views.case_new, name="case_new"),
    path("<int:pk>/", views.case_detail, name="case"),
    path("<int:pk>/identity/", views.case_reveal, name="case_reveal"),
    path("<int:pk>/identity/record/", views.case_identity_record, name="case_identity_record"),
    path("<int:pk>/age/", views.case_age, name="case_age"),
    path("<int:pk>/events/", views.case_milestone, name="case_milestone"),
    path("<int:pk>/deadlines/not-applicable/", views.case_clock_na, name="case_clock_na"),
    path("<int:pk>/production/", views.case_production, name="case_production"),
    path("<int:pk>/refer/", views.case_refer, name="case_refer"),
    path("<int:pk>/lead/", views.case_lead, name="case_lead"),
    path("<int:pk>/close/", views.case_close, name="case_close"),
    path("<int:pk>/reopen/", views.case_reopen, name="case_reopen"),
    path("<int:pk>/legal-hold/", views.case_legal_hold, name="case_legal_hold"),
    path("referrals/inbox/", views.inbox, name="inbox"),
    path("referrals/sent/", views.outbox, name="outbox"),
    path("referrals/<int:pk>/", views.referral_detail, name="referral"),
    path("referrals/<int:pk>/accept/", views.referral_accept, name="referral_accept"),
    path("referrals/<int:pk>/decline/", views.referral_decline, name="referral_decline"),
    path("referrals/<int:pk>/send/", views.referral_send, name="referral_send"),
    path("referrals/<int:pk>/withdraw/", views.referral_withdraw, name="referral_withdraw"),
    path("referrals/<int:pk>/complete/", views.referral_complete, name="referral_complete"),
    path("deadlines/", views.clock_board, name="clocks"),
    path("leads/", views.lead_list, name="leads"),
    path("leads/<int:pk>/", views.lead_detail, name="lead"),
    path("leads/<int:pk>/acknowledge/", views.lead_acknowledge, name="lead_acknowledge"),
    path("leads/<int:pk>/acted/", views.lead_act, name="lead_act"),
]
