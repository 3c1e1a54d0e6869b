from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    """The top layer: the site's URL map, the menu, the home page and the demo data.

    It may import every app; no app imports it. It has no models.
    """

    name = "workspace"
    verbose_name = "Workspace"
