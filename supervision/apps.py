from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "supervision"

    def ready(self) -> None:
        from coaching.services import concern_pager_set
        from supervision.paging import concern_raise_pages

        # Sharing an urgent concern (coaching, below supervision) pages a supervisor in the same transaction.
        concern_pager_set(concern_raise_pages)
