"""A data request's detail is kept as a kind and its parameters, made into a sentence when it
is shown, instead of a sentence translated when it was written. A sentence already stored is
kept as it was written: a failed request's error class, a waiting one's reason."""

import re

from django.db import migrations, models

FAILED_ERROR = re.compile(r"\(([A-Za-z_][\w.]*)\)")


def detail_as_kind(apps, schema_editor):
    DataRequest = apps.get_model("readers", "DataRequest")
    for data_request in DataRequest.objects.exclude(detail="").only("status", "detail"):
        if data_request.status == "failed":
            found = FAILED_ERROR.search(data_request.detail)
            data_request.detail_kind = "failed"
            data_request.detail_parameters = {"error": found.group(1) if found else "?"}
        else:
            data_request.detail_kind = "must_wait"
            data_request.detail_parameters = {
                "reason": data_request.detail,
                "plural": "",
                "count": None,
                "values": {},
            }
        data_request.save(update_fields=["detail_kind", "detail_parameters"])


def kind_as_detail(apps, schema_editor):
    DataRequest = apps.get_model("readers", "DataRequest")
    for data_request in DataRequest.objects.exclude(detail_kind=""):
        parameters = data_request.detail_parameters
        if data_request.detail_kind == "failed":
            data_request.detail = (
                f"Failed ({parameters.get('error', '')}); see the server log. "
                "It can be run again."
            )
        else:
            values = parameters.get("values") or {}
            reason = parameters.get("reason", "")
            data_request.detail = (reason % values if values else reason)[:500]
        data_request.save(update_fields=["detail"])


class Migration(migrations.Migration):
    dependencies = [
        ("readers", "0002_data_rights"),
    ]

    operations = [
        migrations.AddField(
            model_name="datarequest",
            name="detail_kind",
            field=models.CharField(
                blank=True,
                choices=[("", "Nothing to tell"), ("failed", "Failed"), ("must_wait", "Must wait")],
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="datarequest",
            name="detail_parameters",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(detail_as_kind, kind_as_detail),
        migrations.RemoveField(
            model_name="datarequest",
            name="detail",
        ),
    ]
