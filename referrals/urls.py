from django.urls import path

from referrals import views

app_name = "referrals"

urlpatterns = [
    path("patients/<int:patient_pk>/", views.patient_actions, name="patient_actions"),
    path("patients/<int:patient_pk>/referrals/new/", views.referral_new, name="referral_new"),
    path("patients/<int:patient_pk>/cps-reports/new/", views.cps_report_new, name="cps_report_new"),
    path("patients/<int:patient_pk>/communications/new/", views.communication_new, name="communication_new"),
    path("patients/<int:patient_pk>/disclosures/", views.accounting, name="accounting"),
    path("patients/<int:patient_pk>/disclosures/new/", views.disclosure_new, name="disclosure_new"),
    # The draft of a new referral, CPS report, communication or disclosure: <kind> is the form's part of its address.
    path("patients/<int:patient_pk>/<str:kind>/new/draft/", views.draft_save, name="draft_save"),
    path("referrals/<int:pk>/", views.referral_detail, name="referral_detail"),
    path("referrals/<int:pk>/edit/", views.referral_edit, name="referral_edit"),
    path("referrals/<int:pk>/status/", views.referral_status, name="referral_status"),
    path("referrals/<int:pk>/summary/", views.referral_summary, name="referral_summary"),
    path("cps-reports/<int:pk>/", views.cps_report_detail, name="cps_report_detail"),
    path("cps-reports/<int:pk>/edit/", views.cps_report_edit, name="cps_report_edit"),
    path("communications/<int:pk>/", views.communication_detail, name="communication_detail"),
    path("communications/<int:pk>/edit/", views.communication_edit, name="communication_edit"),
    path("agreements/", views.agreements, name="agreements"),
    path("agreements/new/", views.agreement_new, name="agreement_new"),
    path("agreements/<int:pk>/document/", views.agreement_document, name="agreement_document"),
]
