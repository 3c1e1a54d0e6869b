"""A group encounter's one text was shown in every attendee's record, and may name any of them. It moves to
`note_before_per_woman`, which only supervisors read; its shared note starts empty, and each woman's own note is
written from now on. An encounter with one woman keeps its text: it was only ever in her record.

Reversed, the text goes back where it was."""

from django.db import migrations
from django.db.models import Count


def keep_for_supervisors(apps, schema_editor):
    Encounter = apps.get_model("coaching", "Encounter")
    groups = Encounter.objects.annotate(present=Count("encounterpatient")).filter(present__gt=1)
    for encounter in groups.exclude(summary=""):
        # pghistory records the move: what it said stays in the encounter's history.
        Encounter.objects.filter(pk=encounter.pk).update(note_before_per_woman=encounter.summary, summary="")


def put_back(apps, schema_editor):
    Encounter = apps.get_model("coaching", "Encounter")
    for encounter in Encounter.objects.exclude(note_before_per_woman=""):
        summary = "\n\n".join(text for text in (encounter.note_before_per_woman, encounter.summary) if text)
        Encounter.objects.filter(pk=encounter.pk).update(summary=summary, note_before_per_woman="")


class Migration(migrations.Migration):
    dependencies = [("coaching", "0009_group_notes_per_woman")]

    operations = [migrations.RunPython(keep_for_supervisors, put_back)]
