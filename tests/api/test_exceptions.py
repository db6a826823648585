from django.core.exceptions import PermissionDenied, ValidationError

from incidents.api.exceptions import exception_handler


def test_field_validation_error_is_400_by_field():
    error = ValidationError({"severity": "Unknown severity 'SEV9'."})

    response = exception_handler(error, {})

    assert response.status_code == 400
    assert response.data == {"severity": ["Unknown severity 'SEV9'."]}


def test_plain_validation_error_is_non_field():
    response = exception_handler(ValidationError("Nothing to change."), {})

    assert response.status_code == 400
    assert response.data == {"non_field_errors": ["Nothing to change."]}


def test_permission_denied_keeps_message():
    error = PermissionDenied("Timeline entries are append-only: add a new entry instead.")

    response = exception_handler(error, {})

    assert response.status_code == 403
    assert response.data["detail"] == error.args[0]


def test_bare_permission_denied_is_403():
    response = exception_handler(PermissionDenied(), {})

    assert response.status_code == 403
    assert response.data["detail"] == "You do not have permission to perform this action."
