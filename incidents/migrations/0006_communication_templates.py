from django.db import migrations

CUSTOMER_BODY = """Hello,

We are investigating an issue affecting {{ services|default:"the platform" }}.

What is happening: {{ incident.title }}
Current status: {{ incident.status_label }}
Started: {{ incident.detected_at|date:"j F Y, H:i T" }}

{% if incident.summary %}{{ incident.summary }}

{% endif %}We will post the next update by {{ next_update_at|date:"H:i T"|default:"the end of the day" }}.

The Academy team"""

EXECUTIVE_BODY = """{{ incident.key }} – {{ incident.severity }} {{ incident.category }}: {{ incident.title }}

Status: {{ incident.status_label }} since detection at {{ incident.detected_at|date:"j F Y, H:i T" }}
Commander: {{ roles.commander|default:"not assigned" }}
Security lead: {{ roles.security_lead|default:"not assigned" }}
Affected services: {{ services|default:"none recorded" }}

Summary:
{{ incident.summary|default:"No summary yet." }}

Open actions:
{% for action in open_actions %}- {{ action.title }} ({{ action.owner|default:"no owner" }})
{% empty %}- none
{% endfor %}
Next update due: {{ next_update_at|date:"H:i T"|default:"not scheduled" }}"""

REGULATOR_BODY = """Notification of a personal data incident

Reference: {{ incident.key }}
Detected: {{ incident.detected_at|date:"j F Y, H:i T" }}
Nature of the incident: {{ incident.title }}

Description:
{{ incident.summary|default:"Our investigation is ongoing." }}

Systems concerned: {{ services|default:"under investigation" }}
Current status: {{ incident.status_label }}
Contact: {{ roles.security_lead|default:"the security team" }}

We will supplement this notification as our investigation progresses."""

SECURITY_BODY = """Hello,

We are writing to tell you about a security incident that may affect your account.

What happened: {{ incident.title }}
When we found it: {{ incident.detected_at|date:"j F Y" }}

{{ incident.summary|default:"We are still establishing what information was involved." }}

What we are doing: our security team is investigating and has taken steps to contain the issue.
What you can do: change your password and watch for unexpected e-mails that ask for it.

We are sorry for the concern this causes. Reply to this e-mail with any questions.

The Academy security team"""

TEMPLATES = [
    ("customer-update", "Customer status update", "customers", "",
     "[{{ incident.status_label }}] {{ incident.title }}", CUSTOMER_BODY),
    ("executive-briefing", "Executive briefing", "executives", "",
     "{{ incident.key }} {{ incident.severity }}: {{ incident.title }}", EXECUTIVE_BODY),
    ("regulator-notification", "Regulator notification", "regulators", "security",
     "Personal data incident notification {{ incident.key }}", REGULATOR_BODY),
    ("security-incident-notice", "Security incident notice to members", "customers",
     "security", "Important: a security incident affecting your account", SECURITY_BODY),
]


def add_templates(apps, schema_editor):
    CommunicationTemplate = apps.get_model("incidents", "CommunicationTemplate")
    for slug, name, audience, category, subject, body in TEMPLATES:
        CommunicationTemplate.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "audience": audience,
                "category": category,
                "subject": subject,
                "body": body,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("incidents", "0005_severity_matrix")]

    operations = [migrations.RunPython(add_templates, migrations.RunPython.noop)]
