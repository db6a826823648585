import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from incidents.actors import Actor
from incidents.choices import Category, TimelineKind
from incidents.communications import render_communication
from incidents.models import CommunicationStatus, CommunicationTemplate
from incidents.models.followup import Audience
from incidents.services.communications import (
    communication_approve,
    communication_draft,
    communication_draft_from_template,
    communication_send,
    communication_update,
)
from incidents.services.reference import reference_save
from integrations.models import OutboxMessage, Target
from tests.factories import make_incident

pytestmark = pytest.mark.django_db

HOSTILE_TITLE = '<script>alert("x")</script> Café login fails – 東京 {{ secret }}'


@pytest.fixture
def hostile_incident(staff_actor):
    return make_incident(
        actor=staff_actor,
        title=HOSTILE_TITLE,
        summary="Members <b>cannot</b> sign in & reset passwords.",
        category=Category.SECURITY,
    )


def test_seeded_templates_exist():
    slugs = set(CommunicationTemplate.objects.values_list("slug", flat=True))

    assert slugs == {
        "customer-update",
        "executive-briefing",
        "regulator-notification",
        "security-incident-notice",
    }


@pytest.mark.parametrize(
    "slug", ["customer-update", "executive-briefing", "regulator-notification"]
)
def test_template_html_escapes_incident_text(hostile_incident, slug):
    template = CommunicationTemplate.objects.get(slug=slug)

    rendered = render_communication(
        subject=template.subject, body=template.body, incident=hostile_incident
    )

    assert "<script>" not in rendered.html
    assert "&lt;script&gt;" in rendered.html
    assert "東京" in rendered.html
    assert "Café" in rendered.html
    assert "<script>" in rendered.text
    assert "{{ secret }}" in rendered.text


def test_subject_is_one_line(hostile_incident):
    rendered = render_communication(
        subject="{{ incident.key }}\n{{ incident.title }}", body="x", incident=hostile_incident
    )

    assert "\n" not in rendered.subject
    assert rendered.subject.endswith("{{ secret }}")


def test_template_cannot_include_files(hostile_incident):
    with pytest.raises(ValidationError):
        render_communication(
            subject="x", body='{% include "admin/base.html" %}', incident=hostile_incident
        )
    with pytest.raises(ValidationError) as error:
        render_communication(subject="x", body="{% load static %}", incident=hostile_incident)
    assert error.value.message_dict["body"][0].startswith("Invalid template:")


def test_invalid_template_rejected_on_save(staff_actor):
    template = CommunicationTemplate.objects.get(slug="customer-update")
    template.body = "{% if %}"

    with pytest.raises(ValidationError) as error:
        reference_save(instance=template, actor=staff_actor)

    assert "body" in error.value.message_dict


def test_draft_cannot_be_sent(hostile_incident, staff_actor):
    draft = communication_draft(
        incident=hostile_incident,
        actor=staff_actor,
        audience=Audience.CUSTOMERS,
        subject="Update",
        body="Text",
    )

    with pytest.raises(ValidationError) as error:
        communication_send(communication=draft, actor=staff_actor)

    assert "must be approved before it is sent" in error.value.message_dict["status"][0]
    draft.refresh_from_db()
    assert draft.status == CommunicationStatus.DRAFT
    assert mail.outbox == []


def test_integration_cannot_approve(hostile_incident, staff_actor):
    draft = communication_draft(
        incident=hostile_incident, actor=staff_actor, audience="customers", subject="s", body="b"
    )

    with pytest.raises(ValidationError) as error:
        communication_approve(communication=draft, actor=Actor.for_integration("slack"))

    assert "approved_by" in error.value.message_dict


def test_edit_after_approval_needs_new_approval(hostile_incident, staff_actor):
    draft = communication_draft(
        incident=hostile_incident, actor=staff_actor, audience="customers", subject="s", body="b"
    )
    communication_approve(communication=draft, actor=staff_actor)

    edited = communication_update(communication=draft, actor=staff_actor, body="changed")

    assert edited.status == CommunicationStatus.DRAFT
    assert edited.approved_by is None


def test_send_emails_audience_and_records(hostile_incident, staff_actor, staff_user):
    template = CommunicationTemplate.objects.get(slug="security-incident-notice")
    draft = communication_draft_from_template(
        incident=hostile_incident, actor=staff_actor, template=template
    )
    communication_approve(communication=draft, actor=staff_actor)

    sent = communication_send(communication=draft, actor=staff_actor)

    assert sent.status == CommunicationStatus.SENT
    assert sent.approved_by == staff_user
    assert sent.sent_at is not None
    assert sent.recipients == ["status-subscribers@example.org"]
    message = mail.outbox[0]
    assert message.bcc == ["status-subscribers@example.org"]
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "&lt;script&gt;" in html
    assert "<script>" not in html
    timeline = hostile_incident.timeline
    assert timeline.filter(kind=TimelineKind.COMMUNICATION, text__contains="sent").exists()
    slack = timeline.get(kind=TimelineKind.NOTIFICATION, data__channel="#academy-status")
    assert slack.text.startswith("Queued for #academy-status")
    post = OutboxMessage.objects.get(pk=slack.data["outbox_message_id"])
    assert post.target == Target.SLACK
    assert post.payload["channel"] == "#academy-status"


def test_send_twice_rejected(hostile_incident, staff_actor):
    draft = communication_draft(
        incident=hostile_incident, actor=staff_actor, audience="executives", subject="s", body="b"
    )
    communication_approve(communication=draft, actor=staff_actor)
    communication_send(communication=draft, actor=staff_actor)

    with pytest.raises(ValidationError) as error:
        communication_send(communication=draft, actor=staff_actor)

    assert "already sent" in error.value.message_dict["status"][0]
    assert len(mail.outbox) == 1


def test_private_incident_not_posted_publicly(staff_actor):
    incident = make_incident(actor=staff_actor, private=True)
    draft = communication_draft(
        incident=incident, actor=staff_actor, audience="customers", subject="s", body="b"
    )
    communication_approve(communication=draft, actor=staff_actor)

    communication_send(communication=draft, actor=staff_actor)

    entry = incident.timeline.get(kind=TimelineKind.NOTIFICATION, data__channel="#academy-status")
    assert entry.text == f"Not posted to #academy-status: {incident.key} is private"


def test_security_template_rejected_for_availability(staff_actor):
    incident = make_incident(actor=staff_actor, category=Category.AVAILABILITY)
    template = CommunicationTemplate.objects.get(slug="regulator-notification")

    with pytest.raises(ValidationError) as error:
        communication_draft_from_template(incident=incident, actor=staff_actor, template=template)

    assert "for security incidents" in error.value.message_dict["template"][0]


@pytest.mark.parametrize(
    ("audience", "private"),
    [(Audience.REGULATORS, False), (Audience.CUSTOMERS, True)],
    ids=["regulators", "private-customers"],
)
def test_send_to_nobody_is_rejected(settings, staff_actor, audience, private):
    # given: no e-mail recipients, and no public post for this update
    settings.COMMUNICATION_RECIPIENTS = {**settings.COMMUNICATION_RECIPIENTS, audience: []}
    incident = make_incident(actor=staff_actor, private=private)
    draft = communication_draft(
        incident=incident, actor=staff_actor, audience=audience, subject="s", body="b"
    )
    communication_approve(communication=draft, actor=staff_actor)
    entries = incident.timeline.count()

    # when
    with pytest.raises(ValidationError) as error:
        communication_send(communication=draft, actor=staff_actor)

    # then: the update stays approved and unsent, and the message names the setting
    message = error.value.message_dict["audience"][0]
    assert f"COMMUNICATION_RECIPIENTS_{audience.upper()}" in message
    draft.refresh_from_db()
    assert draft.status == CommunicationStatus.APPROVED
    assert incident.timeline.count() == entries


def test_public_post_counts_as_delivery(settings, staff_actor):
    settings.COMMUNICATION_RECIPIENTS = {**settings.COMMUNICATION_RECIPIENTS, "customers": []}
    incident = make_incident(actor=staff_actor)
    draft = communication_draft(
        incident=incident, actor=staff_actor, audience="customers", subject="s", body="b"
    )
    communication_approve(communication=draft, actor=staff_actor)

    sent = communication_send(communication=draft, actor=staff_actor)

    assert sent.status == CommunicationStatus.SENT
    assert OutboxMessage.objects.filter(target=Target.SLACK, payload__channel="#academy-status")


def test_load_tag_is_explained(hostile_incident):
    with pytest.raises(ValidationError) as error:
        render_communication(
            subject="s", body="{% load static %}{% static 'x' %}", incident=hostile_incident
        )

    assert error.value.message_dict["body"] == [
        "Invalid template: 'static' cannot be loaded: communication templates use only "
        "the built-in tags and filters."
    ]
