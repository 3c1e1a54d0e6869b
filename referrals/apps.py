from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"

    def ready(self) -> None:
        from coaching.debrief import debrief_source_register
        from referrals.debrief import cps_reports_since

        # A CPS report about a woman on her caseload comes back in the coach's weekly queue (supervision).
        debrief_source_register("cps_report", cps_reports_since)
