import uuid

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0010_page_key_and_delivery_receipts"),
    ]

    operations = [
        migrations.AlterField(
            model_name="page",
            name="key",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
