"""Her grant interviews copied onto each episode (intake_on, follow_up_recorded, discharge_recorded), kept by the
database. Episodes that already have interviews get them at the end: touching the row fires the trigger that fills
them (a state has tens of thousands of episodes: one statement)."""

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0016_grantinterview_correction"),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(
            model_name="episode",
            name="update_update",
        ),
        migrations.AddField(
            model_name="episode",
            name="discharge_recorded",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.AddField(
            model_name="episode",
            name="follow_up_recorded",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.AddField(
            model_name="episode",
            name="intake_on",
            field=models.DateField(editable=False, null=True),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="episode",
            trigger=pgtrigger.compiler.Trigger(
                name="interviews_onto_episode",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="\n        SELECT\n            (SELECT g.dated_on FROM patients_grantinterview g WHERE g.episode_id = NEW.id AND g.kind = 'intake'),\n            EXISTS (SELECT 1 FROM patients_grantinterview g WHERE g.episode_id = NEW.id AND g.kind = 'follow_up'),\n            EXISTS (SELECT 1 FROM patients_grantinterview g WHERE g.episode_id = NEW.id AND g.kind = 'discharge')\n        INTO NEW.intake_on, NEW.follow_up_recorded, NEW.discharge_recorded;\n        RETURN NEW;\n    ",
                    hash="ee79fcb449bfe7029406fca122d8b06bdf930df4",
                    operation="INSERT OR UPDATE",
                    pgid="pgtrigger_interviews_onto_episode_5e2b2",
                    table="patients_episode",
                    when="BEFORE",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="episode",
            trigger=pgtrigger.compiler.Trigger(
                name="update_update",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition='WHEN (OLD."created_at" IS DISTINCT FROM (NEW."created_at") OR OLD."discharge_reason_id" IS DISTINCT FROM (NEW."discharge_reason_id") OR OLD."discharged_by_id" IS DISTINCT FROM (NEW."discharged_by_id") OR OLD."ended_on" IS DISTINCT FROM (NEW."ended_on") OR OLD."id" IS DISTINCT FROM (NEW."id") OR OLD."needs_consent" IS DISTINCT FROM (NEW."needs_consent") OR OLD."open_at_discharge" IS DISTINCT FROM (NEW."open_at_discharge") OR OLD."patient_id" IS DISTINCT FROM (NEW."patient_id") OR OLD."program_id" IS DISTINCT FROM (NEW."program_id") OR OLD."started_by_id" IS DISTINCT FROM (NEW."started_by_id") OR OLD."started_on" IS DISTINCT FROM (NEW."started_on") OR OLD."summary" IS DISTINCT FROM (NEW."summary"))',
                    func='INSERT INTO "patients_episodeevent" ("created_at", "discharge_reason_id", "discharged_by_id", "ended_on", "id", "needs_consent", "open_at_discharge", "patient_id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "program_id", "started_by_id", "started_on", "summary") VALUES (NEW."created_at", NEW."discharge_reason_id", NEW."discharged_by_id", NEW."ended_on", NEW."id", NEW."needs_consent", NEW."open_at_discharge", NEW."patient_id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."program_id", NEW."started_by_id", NEW."started_on", NEW."summary"); RETURN NULL;',
                    hash="e952addc23c7a46e443f2ae29c8554db07dd63d9",
                    operation="UPDATE",
                    pgid="pgtrigger_update_update_86f64",
                    table="patients_episode",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="grantinterview",
            trigger=pgtrigger.compiler.Trigger(
                name="interview_to_episode",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="\n        UPDATE patients_episode SET intake_on = NULL WHERE id = NEW.episode_id;  -- interviews_onto_episode sets it\n        RETURN NULL;\n    ",
                    hash="b046938a290bbf055173acb07778135a7727d241",
                    operation="INSERT OR UPDATE",
                    pgid="pgtrigger_interview_to_episode_1dadd",
                    table="patients_grantinterview",
                    when="AFTER",
                ),
            ),
        ),
        migrations.RunSQL(
            "UPDATE patients_episode SET intake_on = NULL WHERE id IN (SELECT episode_id FROM patients_grantinterview)",
            migrations.RunSQL.noop,
        ),
    ]
