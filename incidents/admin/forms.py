from django import forms
from django.core.exceptions import ValidationError

from incidents import lifecycle
from incidents.choices import Severity, Status
from incidents.models import Incident


class TransitionForm(forms.Form):
    status = forms.ChoiceField(label="New status")
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Recorded on the timeline with the status change.",
    )
    override_reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=(
            "Needed to resolve before 24 hours of monitoring have passed. Recorded on the timeline."
        ),
    )

    def __init__(self, *args, incident: Incident, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(Status.choices)
        targets = lifecycle.allowed_targets(incident.status)
        self.fields["status"].choices = [(target, labels[target]) for target in targets]


class SeverityForm(forms.Form):
    severity = forms.ChoiceField(label="New severity", choices=Severity.choices)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why the level changes. Recorded on the timeline.",
    )


class NoteForm(forms.Form):
    text = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 5}))


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form, on the field it names where possible."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)
