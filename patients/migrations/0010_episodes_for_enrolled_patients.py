"""Every patient gets her first episode, from her enrollment date; every program the default discharge reasons.

A patient already discharged or graduated has that episode ended on the day of that status change, with the reason
"completed" (graduated) or "other" and the status change's words as the summary. Her consents belong to it."""

from django.db import migrations

DEFAULTS = (
    ("completed", "Completed the program"),
    ("moved", "Moved away"),
    ("stopped_attending", "Stopped attending"),
    ("chose_to_leave", "Chose to leave"),
    ("incarcerated", "Incarcerated"),
    ("died", "Died"),
    ("other", "Other"),
)
LEFT = {"discharged": "other", "graduated": "completed"}


def forwards(apps, schema_editor):
    Program = apps.get_model("staff", "Program")
    Patient = apps.get_model("patients", "Patient")
    Reason = apps.get_model("patients", "DischargeReason")
    Episode = apps.get_model("patients", "Episode")
    StatusChange = apps.get_model("patients", "StatusChange")
    Consent = apps.get_model("patients", "Consent")
    for program in Program.objects.all():
        Reason.objects.bulk_create(
            [Reason(program=program, code=code, label=label, position=i) for i, (code, label) in enumerate(DEFAULTS)],
            ignore_conflicts=True,
        )
    reasons = {(r.program_id, r.code): r for r in Reason.objects.all()}
    for patient in Patient.objects.filter(episodes__isnull=True).iterator():
        episode = Episode(program_id=patient.program_id, patient=patient, started_on=patient.enrollment_date)
        if patient.status in LEFT:
            change = StatusChange.objects.filter(patient=patient, status=patient.status).order_by("-changed_on").first()
            episode.ended_on = max(change.changed_on if change else patient.enrollment_date, patient.enrollment_date)
            episode.discharge_reason = reasons[(patient.program_id, LEFT[patient.status])]
            episode.summary = change.reason if change else ""
            episode.discharged_by_id = change.changed_by_id if change else None
        episode.save()
        Consent.objects.filter(patient=patient, episode__isnull=True).update(episode=episode)


class Migration(migrations.Migration):
    dependencies = [("patients", "0009_episodes")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
