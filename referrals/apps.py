from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"

    def ready(self) -> None:
        from coaching.debrief import debrief_source_register
        from recovery_program import outbox
        from referrals.debrief import cps_reports_since
        from referrals.services import IN_PERSON_NOTICE, disclosure_in_person_notice_build

        # A CPS report about a woman on her caseload comes back in the coach's weekly queue (supervision).
        debrief_source_register("cps_report", cps_reports_since)
        # Her supervisor is told when a coach records a disclosure she made in person, through the outbox.
        outbox.register(IN_PERSON_NOTICE, disclosure_in_person_notice_build)
