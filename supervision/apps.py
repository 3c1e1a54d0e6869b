from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "supervision"

    def ready(self) -> None:
        from coaching.services import concern_pager_set
        from recovery_program import outbox
        from recovery_program.health import check_register
        from recovery_program.twilio import receipt_handler_set
        from supervision.paging import concern_raise_pages, late_pages_check, record_receipt
        from supervision.services import break_glass_notice_build, missed_session_notice_build

        # Sharing an urgent concern (coaching, below supervision) pages a supervisor in the same transaction.
        concern_pager_set(concern_raise_pages)
        # /healthz (core) answers 503 while a page that was due has not gone out.
        check_register("pages", late_pages_check)
        # Delivery receipts of texts (core's webhook) update the page they are about.
        receipt_handler_set(record_receipt)
        # The Monday notice goes through the outbox, built when it is sent.
        outbox.register("missed_supervision", missed_session_notice_build)
        # The other supervisors are told of a record opened in an emergency, through the outbox too.
        outbox.register("break_glass", break_glass_notice_build)
