import hashlib

import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from incidents.choices import TimelineKind
from reports.models import ReportExport
from reports.services import report_export
from tests.factories import UserFactory, make_incident

pytestmark = pytest.mark.django_db


def _body(response) -> bytes:
    # The test client closes the response, and the file, once the content is read.
    return b"".join(response.streaming_content)


def _token_client(user) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return api


@pytest.fixture
def incident(staff_actor):
    return make_incident(actor=staff_actor)


@pytest.fixture
def member(db):
    return UserFactory(username="member-mo", is_staff=False)


def test_admin_download_exports_pdf(client, staff_user, incident):
    client.force_login(staff_user)

    response = client.get(reverse("reports:incident-pdf", kwargs={"key": incident.key}))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{incident.key}.pdf"'
    body = _body(response)
    assert body.startswith(b"%PDF-")
    export = ReportExport.objects.get()
    assert export.sha256 == hashlib.sha256(body).hexdigest()
    assert export.generated_by == staff_user
    assert incident.timeline.filter(kind=TimelineKind.REPORT).count() == 1


def test_admin_download_url_path(incident):
    url = reverse("reports:incident-pdf", kwargs={"key": incident.key})

    assert url == f"/reports/incidents/{incident.key}.pdf"


def test_admin_download_redirects_non_staff(client, member, incident):
    client.force_login(member)

    response = client.get(reverse("reports:incident-pdf", kwargs={"key": incident.key}))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert not ReportExport.objects.exists()


def test_admin_download_redirects_anonymous(client, incident):
    response = client.get(reverse("reports:incident-pdf", kwargs={"key": incident.key}))

    assert response.status_code == 302
    assert not ReportExport.objects.exists()


def test_admin_download_unknown_key(client, staff_user):
    client.force_login(staff_user)

    response = client.get(reverse("reports:incident-pdf", kwargs={"key": "INC-1999-0001"}))

    assert response.status_code == 404


def test_admin_download_rejects_post(client, staff_user, incident):
    client.force_login(staff_user)

    response = client.post(reverse("reports:incident-pdf", kwargs={"key": incident.key}))

    assert response.status_code == 405
    assert not ReportExport.objects.exists()


def test_stored_export_download(client, staff_actor, staff_user, incident):
    export = report_export(incident=incident, actor=staff_actor)
    client.force_login(staff_user)

    response = client.get(reverse("reports:export-pdf", kwargs={"pk": export.pk}))

    assert response.status_code == 200
    assert hashlib.sha256(_body(response)).hexdigest() == export.sha256
    assert ReportExport.objects.count() == 1


def test_stored_export_hidden_from_non_staff(client, staff_actor, member, incident):
    export = report_export(incident=incident, actor=staff_actor)
    client.force_login(member)

    response = client.get(reverse("reports:export-pdf", kwargs={"pk": export.pk}))

    assert response.status_code == 302


def test_api_download_with_token(staff_user, incident):
    response = _token_client(staff_user).get(f"/api/v1/incidents/{incident.key}/report.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{incident.key}.pdf"'
    body = _body(response)
    assert body.startswith(b"%PDF-")
    export = ReportExport.objects.get()
    assert export.generated_by == staff_user
    assert export.sha256 == hashlib.sha256(body).hexdigest()


def test_api_download_accepts_pdf(staff_user, incident):
    api = APIClient()
    api.force_authenticate(staff_user)

    response = api.get(
        f"/api/v1/incidents/{incident.key}/report.pdf", HTTP_ACCEPT="application/pdf"
    )

    assert response.status_code == 200
    assert _body(response).startswith(b"%PDF-")


def test_api_download_session_auth(client, staff_user, incident):
    client.force_login(staff_user)

    response = client.get(f"/api/v1/incidents/{incident.key}/report.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert _body(response).startswith(b"%PDF-")


def test_api_requires_authentication(incident):
    response = APIClient().get(f"/api/v1/incidents/{incident.key}/report.pdf")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert not ReportExport.objects.exists()


def test_api_hides_incident_from_non_staff(member, incident):
    response = _token_client(member).get(f"/api/v1/incidents/{incident.key}/report.pdf")

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Only staff users can use this endpoint."}
    assert not ReportExport.objects.exists()


def test_api_unknown_key(staff_user):
    api = APIClient()
    api.force_authenticate(staff_user)

    response = api.get("/api/v1/incidents/INC-1999-0001/report.pdf")

    assert response.status_code == 404


def test_api_rejects_json_only_client(staff_user, incident):
    api = APIClient()
    api.force_authenticate(staff_user)

    response = api.get(
        f"/api/v1/incidents/{incident.key}/report.pdf", HTTP_ACCEPT="application/json"
    )

    assert response.status_code == 406
    assert response["Content-Type"] == "application/json"
    assert not ReportExport.objects.exists()


def test_api_schema_documents_pdf():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    operation = schema["paths"]["/api/v1/incidents/{key}/report.pdf"]["get"]
    assert operation["operationId"] == "incidents_report_pdf"
    assert "application/pdf" in operation["responses"]["200"]["content"]
    assert operation["responses"]["200"]["content"]["application/pdf"]["schema"] == {
        "type": "string",
        "format": "binary",
    }


def test_admin_lists_exports(client, staff_actor, incident):
    export = report_export(incident=incident, actor=staff_actor)
    admin_user = UserFactory(username="admin-ada", is_superuser=True)
    client.force_login(admin_user)

    response = client.get(reverse("admin:reports_reportexport_changelist"))

    assert response.status_code == 200
    page = response.content.decode()
    assert export.sha256 in page
    assert incident.key in page
    assert reverse("reports:export-pdf", kwargs={"pk": export.pk}) in page


def test_admin_exports_are_read_only(client, staff_actor, incident):
    export = report_export(incident=incident, actor=staff_actor)
    client.force_login(UserFactory(username="admin-ada", is_superuser=True))

    add = client.get(reverse("admin:reports_reportexport_add"))
    delete = client.post(
        reverse("admin:reports_reportexport_delete", args=[export.pk]), {"post": "yes"}
    )
    change = client.post(
        reverse("admin:reports_reportexport_change", args=[export.pk]), {"sha256": "0" * 64}
    )

    assert add.status_code == 403
    assert delete.status_code == 403
    assert change.status_code == 403
    export.refresh_from_db()
    assert export.sha256 != "0" * 64


@pytest.mark.parametrize("route", ["incident", "export"])
def test_admin_download_needs_report_permission(client, staff_actor, incident, route):
    export = report_export(incident=incident, actor=staff_actor)
    client.force_login(UserFactory(username="no-reports", permissions=["incidents.view_incident"]))
    url = {
        "incident": f"/reports/incidents/{incident.key}.pdf",
        "export": f"/reports/exports/{export.pk}.pdf",
    }[route]
    exports = ReportExport.objects.count()

    response = client.get(url)

    assert response.status_code == 403
    assert ReportExport.objects.count() == exports
