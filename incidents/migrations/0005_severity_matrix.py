from django.db import migrations

# (level, name, definition, member impact, data exposure, SLO breach, min services, response)
SEVERITY_MATRIX = [
    (
        "SEV0",
        "Critical",
        "The platform is down for everyone, or member data is confirmed to have left our "
        "control.",
        "4_all",
        "2_confirmed",
        False,
        3,
        "Page the incident commander and the security lead at once; executives are briefed "
        "within the hour; updates every 30 minutes.",
    ),
    (
        "SEV1",
        "Major",
        "A core journey is broken for many members, or member data exposure is suspected.",
        "3_many",
        "1_suspected",
        False,
        2,
        "Security lead engaged within 15 minutes of detection; updates every 30 minutes.",
    ),
    (
        "SEV2",
        "Significant",
        "A platform SLO is breached (API p95 latency of 250 ms or more, or websocket "
        "delivery of 2 s or more), or one community or group of members is affected.",
        "2_some",
        "",
        True,
        None,
        "The duty engineer responds within working hours; a retrospective follows.",
    ),
    (
        "SEV3",
        "Minor",
        "A few members see a degraded feature and a workaround exists.",
        "1_few",
        "",
        False,
        None,
        "Handled by the owning team in the normal queue.",
    ),
    (
        "SEV4",
        "Low",
        "No member impact: a cosmetic fault, a near miss or a finding to follow up.",
        "",
        "",
        False,
        None,
        "Tracked as ordinary work.",
    ),
]


def add_severity_matrix(apps, schema_editor):
    SeverityLevel = apps.get_model("incidents", "SeverityLevel")
    for level, name, definition, members, exposure, slo, services, response in SEVERITY_MATRIX:
        SeverityLevel.objects.get_or_create(
            level=level,
            defaults={
                "name": name,
                "definition": definition,
                "member_impact": members,
                "data_exposure": exposure,
                "slo_breach": slo,
                "min_services_affected": services,
                "response_expectations": response,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("incidents", "0004_response")]

    operations = [migrations.RunPython(add_severity_matrix, migrations.RunPython.noop)]
