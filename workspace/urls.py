"""The site's URL map: every app's pages, the login and password pages, /healthz and the operators' admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import set_language

from patients import urls as patients_urls
from patients import views as patients_views
from recovery_program import twilio
from recovery_program.health import healthz, healthz_web
from referrals import views as referrals_views
from staff import urls as staff_urls
from staff.forms import OwnPasswordChangeForm
from staff.views import account as own_account
from staff.views import accounts as staff_views
from staff.views import two_step
from workspace import offline, views


def _superuser_only(request) -> bool:
    """Django's admin site is for the operators who run the server; program staff use the app's own pages.

    Someone logged in who is not an operator gets a 404 on every admin page: answering False would send her
    to log in, and the login page, seeing her logged in, back here, round and round."""
    if request.user.is_authenticated and not (request.user.is_active and request.user.is_superuser):
        raise Http404
    return request.user.is_authenticated


admin.site.has_permission = _superuser_only
admin.site.site_header = "Recovery Coaching: operators"

# The staff pages keep their names (staff:...). Changing someone's role or deactivating her also ends a coach's
# assignments and supervision links (and removes her drafts), so those are served from here, where every app may
# be imported.
staff_pages = [
    *staff_urls.urlpatterns,
    path("<int:pk>/role/", views.staff_role, name="role"),
    path("role-changes/<int:pk>/", views.role_change_decide, name="role_change_decide"),
    path("<int:pk>/deactivate/", views.staff_deactivate, name="deactivate"),
    # The program's discharge reasons sit next to its settings; supervisors keep them (patients owns the list).
    path("program/discharge-reasons/", patients_views.discharge_reasons, name="discharge_reasons"),
    path("program/discharge-reasons/<int:pk>/", patients_views.discharge_reason_edit, name="discharge_reason_edit"),
]

# Discharging a woman closes or carries what is still open about her in coaching, referrals and supervision, so
# its page is served from here, under the patient pages' names (patients:discharge). So is the coach's page for what
# she told someone in person (a referrals disclosure): outside /clinical/, which stays the supervisors' alone.
patient_pages = [
    *patients_urls.urlpatterns,
    path("<int:pk>/discharge/", views.patient_discharge, name="discharge"),
    # The patient list's download: one of the supervisors' exports (workspace/exports.py).
    path("export.csv", views.patient_export, name="export"),
    path("<int:pk>/told-in-person/", referrals_views.in_person_disclosure, name="told_in_person"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("overview/", views.overview, name="overview"),
    path("program-figures/", views.program_figures, name="program_figures"),
    path("reports/", views.reports, name="reports"),
    path("exports/", views.export_page, name="exports"),
    path("login/", staff_views.LoginView.as_view(), name="login"),
    path("logout/", staff_views.LogoutView.as_view(), name="logout"),
    path("sw.js", offline.service_worker, name="service_worker"),
    path("login/verify/", two_step.verify, name="two_step_verify"),
    path("account/", own_account.account, name="account"),
    # The login page's choice of language (a cookie), before anyone is logged in.
    path("language/", login_not_required(set_language), name="set_language"),
    path("account/two-step/", two_step.setup, name="two_step_setup"),
    path("account/two-step/off/", two_step.turn_off, name="two_step_off"),
    path("account/two-step/recovery-codes/", two_step.recovery_codes, name="two_step_recovery_codes"),
    path("password/", auth_views.PasswordChangeView.as_view(form_class=OwnPasswordChangeForm), name="password_change"),
    path("password/forgot/", staff_views.password_ask, name="password_ask"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        staff_views.PasswordLinkView.as_view(),
        name="password_reset_confirm",
    ),
    path("password/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("staff/", include((staff_pages, staff_urls.app_name))),
    path("patients/", include((patient_pages, patients_urls.app_name))),
    path("coaching/", include("coaching.urls")),
    path("clinical/", include("referrals.urls")),
    path("supervision/", include("supervision.urls")),
    path("healthz", healthz, name="healthz"),
    path("healthz/web", healthz_web, name="healthz_web"),
    # Delivery receipts of texts, posted by Twilio (signed; no login, no CSRF token).
    path("sms/receipts/<uuid:key>/", twilio.receipt, name="sms_receipt"),
    # The operators' admin site logs in through the app's own login (lockout and all).
    path(
        "admin/login/",
        login_not_required(RedirectView.as_view(pattern_name="login", query_string=True)),
        name="admin_login",
    ),
    path("admin/", admin.site.urls),
]
