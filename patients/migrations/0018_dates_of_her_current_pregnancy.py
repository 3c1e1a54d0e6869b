"""Her due and delivery dates are her current pregnancy's, kept by the database; women whose copy had drifted
get it from their pregnancies at the end (touching the row fires the trigger)."""

import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0017_interviews_on_the_episode"),
    ]

    operations = [
        pgtrigger.migrations.AddTrigger(
            model_name="patient",
            trigger=pgtrigger.compiler.Trigger(
                name="as_her_pregnancy_says",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    declare="DECLARE current record;",
                    func="\n        SELECT due_date, delivery_date INTO current FROM patients_pregnancy\n            WHERE patient_id = NEW.id ORDER BY due_date DESC, id DESC LIMIT 1;\n        IF FOUND THEN\n            NEW.due_date := current.due_date;\n            NEW.delivery_date := current.delivery_date;\n        END IF;\n        RETURN NEW;\n    ",
                    hash="1162517274662910124c48da3ef5a706b0bc8049",
                    operation="INSERT OR UPDATE",
                    pgid="pgtrigger_as_her_pregnancy_says_24aa6",
                    table="patients_patient",
                    when="BEFORE",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="pregnancy",
            trigger=pgtrigger.compiler.Trigger(
                name="pregnancy_to_patient",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="\n        UPDATE patients_patient SET due_date = due_date WHERE id = NEW.patient_id;  -- as_her_pregnancy_says sets it\n        RETURN NULL;\n    ",
                    hash="f9138f264ad38dcf61017885bab9256013ad82fd",
                    operation="INSERT OR UPDATE",
                    pgid="pgtrigger_pregnancy_to_patient_a5d36",
                    table="patients_pregnancy",
                    when="AFTER",
                ),
            ),
        ),
        migrations.RunSQL(
            "UPDATE patients_patient SET due_date = due_date WHERE id IN (SELECT patient_id FROM patients_pregnancy)",
            migrations.RunSQL.noop,
        ),
    ]
