# Page keys unique forever (a restore starts ids again; a provider deduping on `page-<id>` would drop a new
# page), the provider's message id, and the delivered state from text receipts.

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("coaching", "0005_concern_note_seen_by_coach"),
        ("supervision", "0009_page_rounds_after_everyone"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="page",
            name="page_sent_has_a_time",
        ),
        migrations.AddField(
            model_name="page",
            name="delivered_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="page",
            name="key",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="page",
            name="provider_sid",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AlterField(
            model_name="page",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Waiting to be sent"),
                    ("sending", "Being sent"),
                    ("sent", "Sent"),
                    ("delivered", "Delivered"),
                    ("failed", "Could not be delivered"),
                ],
                default="pending",
                max_length=12,
            ),
        ),
        migrations.AddConstraint(
            model_name="page",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("sent_at__isnull", False), ("status", "sent")),
                    models.Q(("status", "sent"), _negated=True),
                    _connector="OR",
                ),
                name="page_sent_has_a_time",
            ),
        ),
        migrations.AddConstraint(
            model_name="page",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("delivered_at__isnull", False), ("sent_at__isnull", False), ("status", "delivered")),
                    models.Q(models.Q(("status", "delivered"), _negated=True), ("delivered_at__isnull", True)),
                    _connector="OR",
                ),
                name="page_delivered_has_a_time",
            ),
        ),
        # Every existing page gets a key of its own; the next migration makes keys required and unique.
        migrations.RunSQL("UPDATE supervision_page SET key = gen_random_uuid()", migrations.RunSQL.noop),
    ]
