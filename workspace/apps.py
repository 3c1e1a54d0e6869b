from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    """The top layer: the site's URL map, the menu, the home page and the demo data.

    It may import every app; no app imports it. It has no models.
    """

    name = "workspace"
    verbose_name = "Workspace"

    def ready(self) -> None:
        from recovery_program import outbox
        from workspace.services import training_reminder_build

        outbox.register("training_reminder", training_reminder_build)
