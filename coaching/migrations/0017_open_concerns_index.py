"""The open concerns of a program, indexed apart: the queue and the home pages' counts read a few hundred of a
program's many thousands. Built without locking out writes."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("coaching", "0016_encounter_time_on_her_rows"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="concern",
            index=models.Index(
                condition=models.Q(("status", "closed"), _negated=True),
                fields=["program", "created_at"],
                name="concern_open",
            ),
        ),
    ]
