from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="democheckout",
            name="mode",
            field=models.CharField(
                choices=[("payment", "One-off"), ("subscription", "Monthly")], max_length=20
            ),
        ),
        migrations.AlterField(
            model_name="demosubscription",
            name="status",
            field=models.CharField(
                choices=[("active", "Active"), ("past_due", "Past due"), ("canceled", "Cancelled")],
                default="active",
                max_length=20,
            ),
        ),
    ]
