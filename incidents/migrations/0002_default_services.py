from django.db import migrations

DEFAULT_SERVICES = [
    ("communities-platform", "Communities platform", "The community website and its back end."),
    ("apis", "Public APIs", "The public REST and websocket APIs."),
    ("mobile-apps", "Mobile apps", "The iOS and Android apps."),
    ("data-plane", "Data plane", "Storage, queues and the data pipelines behind them."),
]


def add_default_services(apps, schema_editor):
    Service = apps.get_model("incidents", "Service")
    for slug, name, description in DEFAULT_SERVICES:
        Service.objects.get_or_create(slug=slug, defaults={"name": name, "description": description})


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]

    operations = [migrations.RunPython(add_default_services, migrations.RunPython.noop)]
