import pytest
from django.core.exceptions import ValidationError

from incidents.choices import Severity, Status
from incidents.models import Audience, Communication, CommunicationStatus
from incidents.services import incident_transition, incident_update, timeline_add_note
from integrations.fakes import Fault
from integrations.models import OutboxMessage, OutboxStatus, SlackThread, Target
from integrations.outbox import outbox_deliver
from integrations.services import communication_post
from tests.factories import make_incident
from tests.integrations.conftest import drain

pytestmark = pytest.mark.django_db

WAR_ROOM = "#academy-incident-warroom"
STATUS_CHANNEL = "#academy-status"


def make_communication(incident, *, audience=Audience.CUSTOMERS, status=None):
    return Communication.objects.create(
        incident=incident,
        audience=audience,
        subject="Posting is slow",
        body="We are looking into slow posting in communities.",
        status=status or CommunicationStatus.APPROVED,
    )


def test_timeline_is_threaded_per_incident(live, staff_actor, time_machine):
    first = make_incident(actor=staff_actor, severity=Severity.SEV3)
    second = make_incident(actor=staff_actor, severity=Severity.SEV3, title="Login errors")
    timeline_add_note(incident=first, actor=staff_actor, text="Rolled back release 412")
    timeline_add_note(incident=second, actor=staff_actor, text="Paged the identity team")

    drain(time_machine)

    threads = {thread.incident_id: thread for thread in SlackThread.objects.all()}
    assert set(threads) == {first.pk, second.pk}
    by_text = {message["text"]: message for message in live.messages}
    parent = by_text[next(text for text in by_text if first.key in text)]
    assert parent["thread_ts"] is None
    reply = by_text[f"*Note* ({staff_actor.label}): Rolled back release 412"]
    assert reply["thread_ts"] == threads[first.pk].ts
    other = by_text[f"*Note* ({staff_actor.label}): Paged the identity team"]
    assert other["thread_ts"] == threads[second.pk].ts
    assert {message["channel"] for message in live.messages} == {WAR_ROOM}


def test_status_change_updates_thread_parent(live, staff_actor, time_machine):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV3)
    incident_transition(incident=incident, actor=staff_actor, to_status=Status.MITIGATING)

    drain(time_machine)

    thread = SlackThread.objects.get(incident=incident)
    [update] = live.updates
    assert update["ts"] == thread.ts
    assert update["channel"] == thread.channel_id
    parent = next(message for message in live.messages if message["ts"] == thread.ts)
    assert "Status: Mitigating" in parent["text"]


def test_reply_waits_for_thread_parent(live, staff_actor, time_machine):
    live.fail_next("slack", Fault("500"))
    incident = make_incident(actor=staff_actor, severity=Severity.SEV3)
    timeline_add_note(incident=incident, actor=staff_actor, text="Checking the load balancer")

    drain(time_machine)

    thread = SlackThread.objects.get(incident=incident)
    [reply] = [message for message in live.messages if message["thread_ts"]]
    assert reply["thread_ts"] == thread.ts
    assert len([message for message in live.messages if message["thread_ts"] is None]) == 1


def test_ok_false_is_a_failure(live, staff_actor, time_machine):
    live.fail_next("slack", Fault("ok_false", error="channel_not_found"))
    incident = make_incident(actor=staff_actor, severity=Severity.SEV3)

    drain(time_machine)

    row = OutboxMessage.objects.get(incident=incident, target=Target.SLACK)
    assert row.status == OutboxStatus.FAILED
    assert "channel_not_found" in row.last_error


def test_ok_false_ratelimited_is_retried(live, staff_actor, time_machine):
    live.fail_next("slack", Fault("ok_false", error="ratelimited"))
    incident = make_incident(actor=staff_actor, severity=Severity.SEV3)

    drain(time_machine)

    row = OutboxMessage.objects.get(incident=incident, target=Target.SLACK)
    assert row.status == OutboxStatus.DELIVERED
    assert row.attempts == 2


def test_rate_limit_honours_retry_after(live, staff_actor):
    live.fail_next("slack", Fault("429", seconds=45))
    incident = make_incident(actor=staff_actor, severity=Severity.SEV3)
    row = OutboxMessage.objects.get(incident=incident, target=Target.SLACK)

    outbox_deliver(message_id=row.pk)

    row.refresh_from_db()
    assert row.status == OutboxStatus.PENDING
    assert (row.next_attempt_at - row.created_at).total_seconds() >= 45
    assert "HTTP 429" in row.last_error
    assert live.messages == []


@pytest.mark.parametrize(
    "fault",
    [Fault("500"), Fault("timeout", seconds=2), Fault("malformed")],
    ids=["server-error", "timeout", "malformed"],
)
def test_transient_failure_posts_once(live, staff_actor, fault, time_machine):
    live.fail_next("slack", fault)
    incident = make_incident(actor=staff_actor, severity=Severity.SEV3)

    drain(time_machine)

    row = OutboxMessage.objects.get(incident=incident, target=Target.SLACK)
    assert row.status == OutboxStatus.DELIVERED
    assert len(live.messages) == 1


def test_approved_communication_goes_public(live, staff_actor, time_machine):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV3)
    communication = make_communication(incident)

    row = communication_post(communication=communication, actor=staff_actor)
    drain(time_machine)

    row.refresh_from_db()
    assert row.status == OutboxStatus.DELIVERED
    [public] = [message for message in live.messages if message["channel"] == STATUS_CHANNEL]
    assert public["text"].startswith("*Posting is slow*")
    assert public["thread_ts"] is None


def test_private_incident_never_posts_publicly(live, staff_actor, time_machine):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV1, private=True)
    communication = make_communication(incident)
    timeline_add_note(incident=incident, actor=staff_actor, text="Account takeover confirmed")

    row = communication_post(communication=communication, actor=staff_actor)
    drain(time_machine)

    assert row is None
    assert [m for m in live.messages if m["channel"] == STATUS_CHANNEL] == []
    assert {m["channel"] for m in live.messages} == {WAR_ROOM}


def test_incident_made_private_after_queueing(live, staff_actor, time_machine):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV3)
    row = communication_post(communication=make_communication(incident), actor=staff_actor)

    incident_update(incident=incident, actor=staff_actor, private=True)
    drain(time_machine)

    row.refresh_from_db()
    assert row.status == OutboxStatus.FAILED
    assert "private" in row.last_error
    assert [m for m in live.messages if m["channel"] == STATUS_CHANNEL] == []


def test_draft_communication_is_rejected(staff_actor):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV3)
    draft = make_communication(incident, status=CommunicationStatus.DRAFT)

    with pytest.raises(ValidationError) as error:
        communication_post(communication=draft, actor=staff_actor)

    assert "only approved" in error.value.message_dict["status"][0]
    assert not OutboxMessage.objects.filter(payload__channel=STATUS_CHANNEL).exists()


def test_internal_audience_is_not_posted(staff_actor):
    incident = make_incident(actor=staff_actor, severity=Severity.SEV3)
    communication = make_communication(incident, audience=Audience.EXECUTIVES)

    assert communication_post(communication=communication, actor=staff_actor) is None


def test_user_text_is_escaped(live, staff_actor, time_machine):
    # given: a title and an update written by outsiders, with Slack control sequences
    title = "Login <!channel> & <https://evil.example|reset here>"
    incident = make_incident(actor=staff_actor, severity=Severity.SEV3, title=title)
    timeline_add_note(incident=incident, actor=staff_actor, text="Saw <@U123> & <!here>")
    communication = make_communication(incident)
    communication.subject = "Fixed <!channel>"
    communication.save()

    # when
    communication_post(communication=communication, actor=staff_actor)
    drain(time_machine)

    # then: no mention or link reaches Slack, and the text reads the same
    texts = [message["text"] for message in live.messages]
    assert not any("<!" in text or "<http" in text or "<@" in text for text in texts)
    escaped_title = "Login &lt;!channel&gt; &amp; &lt;https://evil.example|reset here&gt;"
    assert any(escaped_title in text for text in texts)
    assert f"*Note* ({staff_actor.label}): Saw &lt;@U123&gt; &amp; &lt;!here&gt;" in texts
    public = [m["text"] for m in live.messages if m["channel"] == STATUS_CHANNEL]
    assert public[0].startswith("*Fixed &lt;!channel&gt;*\n")
