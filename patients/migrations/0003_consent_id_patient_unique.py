from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0002_consent_ends_at_discharge"),
    ]

    operations = [
        # The target of the disclosure's composite foreign key (referrals 0002, disclosure_consent_is_the_patients).
        migrations.AddConstraint(
            model_name="consent",
            constraint=models.UniqueConstraint(fields=("id", "patient"), name="consent_id_patient"),
        ),
    ]
