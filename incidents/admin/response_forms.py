"""Forms for the response pages of the admin. They check shapes; services check rules."""

from django import forms
from django.contrib.auth import get_user_model

from incidents.choices import DataExposure, MemberImpact, Severity
from incidents.lifecycle import allowed_targets
from incidents.models import CommunicationTemplate, Incident, Runbook


class TriageForm(forms.Form):
    member_impact = forms.ChoiceField(
        choices=MemberImpact.choices, label="How many members are affected?"
    )
    data_exposure = forms.ChoiceField(
        choices=DataExposure.choices, label="Has member data left our control?"
    )
    api_p95_ms = forms.IntegerField(
        min_value=0, required=False, label="API p95 latency (ms)", help_text="SLO: below 250 ms."
    )
    websocket_delivery_ms = forms.IntegerField(
        min_value=0,
        required=False,
        label="Websocket delivery time (ms)",
        help_text="SLO: below 2000 ms.",
    )
    services_affected = forms.IntegerField(
        min_value=0, initial=0, label="How many services are affected?"
    )
    severity = forms.ChoiceField(
        choices=[("", "Use the suggested level"), *Severity.choices],
        required=False,
        label="Final severity",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Why this level",
        help_text="Required when saving.",
    )


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(label="Move to")
    note = forms.CharField(required=False)
    override_reason = forms.CharField(
        required=False,
        label="Override reason",
        help_text="Resolves before the monitoring window ends; recorded on the timeline.",
    )

    def __init__(self, *args, incident: Incident, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = [
            (value, value) for value in allowed_targets(incident.status)
        ]


class RunbookStartForm(forms.Form):
    runbook = forms.ModelChoiceField(queryset=Runbook.objects.all())


class TemplateDraftForm(forms.Form):
    template = forms.ModelChoiceField(queryset=CommunicationTemplate.objects.filter(active=True))


class TemplatePreviewForm(forms.Form):
    incident_key = forms.CharField(label="Incident key", help_text="For example INC-2026-0001.")


class RolesForm(forms.Form):
    commander = forms.ModelChoiceField(queryset=get_user_model().objects.none(), required=False)
    security_lead = forms.ModelChoiceField(queryset=get_user_model().objects.none(), required=False)
    communications_lead = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), required=False
    )
    scribe = forms.ModelChoiceField(queryset=get_user_model().objects.none(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        staff = get_user_model().objects.filter(is_active=True, is_staff=True)
        for field in self.fields.values():
            field.queryset = staff
