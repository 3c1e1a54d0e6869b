from django.urls import path

from patients import interview_views, views

app_name = "patients"

urlpatterns = [
    path("", views.patient_list, name="list"),
    path("enroll/", views.patient_enroll, name="enroll"),
    path("cover/", views.cover, name="cover"),
    path("cover/<int:pk>/end/", views.cover_end, name="cover_end"),
    path("<int:pk>/", views.patient_detail, name="detail"),
    path("<int:pk>/contact/", views.patient_contact, name="contact"),
    path("<int:pk>/edit/", views.patient_edit, name="edit"),
    path("<int:pk>/status/", views.patient_status, name="status"),
    path("<int:pk>/coach/", views.patient_assign, name="assign"),
    path("<int:pk>/coach/end/", views.patient_unassign, name="unassign"),
    path("<int:pk>/transfer/", views.patient_transfer, name="transfer"),
    path("<int:pk>/consents/add/", views.consent_add, name="consent_add"),
    path("<int:pk>/consents/<int:consent_pk>/revoke/", views.consent_revoke, name="consent_revoke"),
    path("<int:pk>/consents/<int:consent_pk>/signed/", views.consent_signed_form, name="consent_signed_form"),
    path(
        "<int:pk>/consents/<int:consent_pk>/signed/add/", views.consent_signed_form_add, name="consent_signed_form_add"
    ),
    path("<int:pk>/children/add/", views.child_edit, name="child_add"),
    path("<int:pk>/children/<int:child_pk>/edit/", views.child_edit, name="child_edit"),
    path("<int:pk>/children/<int:child_pk>/custody/", views.child_custody, name="child_custody"),
    path("<int:pk>/pregnancies/add/", views.pregnancy_edit, name="pregnancy_add"),
    path("<int:pk>/pregnancies/<int:pregnancy_pk>/edit/", views.pregnancy_edit, name="pregnancy_edit"),
    path("<int:pk>/access-log/", views.access_log, name="access_log"),
    path("<int:pk>/re-enroll/", views.patient_reenroll, name="reenroll"),
    path("<int:pk>/higher-care/", views.higher_care_start, name="higher_care"),
    path("<int:pk>/higher-care/return/", views.higher_care_end, name="higher_care_end"),
    path("<int:pk>/interviews/record/", interview_views.interview_record, name="interview_record"),
    path("interviews/due/", interview_views.interviews_due, name="interviews_due"),
    path(
        "<int:pk>/interviews/<int:interview_pk>/correct/",
        interview_views.interview_correct,
        name="interview_correct",
    ),
]
