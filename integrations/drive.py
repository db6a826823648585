"""Google Drive: the final report of a closed incident, uploaded to the reports folder.

The client is built from the Drive v3 discovery document bundled with
google-api-python-client, with its rootUrl taken from GOOGLE_DRIVE_ROOT_URL. Each
upload carries the incident key as an app property, so a retry after a lost response
finds the uploaded file instead of uploading it twice.
"""

import contextlib
import json
import logging
from collections.abc import Iterator
from typing import Any

import google.auth.exceptions
import google_auth_httplib2
import httplib2
from django.conf import settings
from google.oauth2 import service_account
from googleapiclient.discovery import build_from_document
from googleapiclient.discovery_cache import get_static_doc
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaInMemoryUpload

from incidents.actors import Actor
from integrations.calls import ca_bundle, describe_request, join_url, status_error
from integrations.errors import (
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
    parse_retry_after,
)
from integrations.models import DriveFile, OutboxMessage, Target
from integrations.registry import Delivery, operation, register_integration
from integrations.reports import PDF_MIME_TYPE, final_report, report_file_name

logger = logging.getLogger(__name__)

DRIVE_SCOPE = "https://www.googleapis.com/auth/drive"
FOLDER_MIME_TYPE = "application/vnd.google-apps.folder"
INCIDENT_PROPERTY = "incidentDeskIncident"
SHA256_PROPERTY = "incidentDeskSha256"
FILE_FIELDS = "id,name,webViewLink,appProperties"


def is_configured() -> bool:
    return bool(settings.GOOGLE_SERVICE_ACCOUNT_FILE)


register_integration(Target.GOOGLE_DRIVE, is_configured, ("GOOGLE_SERVICE_ACCOUNT_FILE",))


def _discovery_document() -> dict[str, Any]:
    document = json.loads(get_static_doc("drive", "v3"))
    root = settings.GOOGLE_DRIVE_ROOT_URL.rstrip("/") + "/"
    document["rootUrl"] = root
    document["mtlsRootUrl"] = root
    document["baseUrl"] = root + document["servicePath"]
    return document


def drive_service():
    credentials = service_account.Credentials.from_service_account_file(
        settings.GOOGLE_SERVICE_ACCOUNT_FILE, scopes=[DRIVE_SCOPE]
    )
    http = google_auth_httplib2.AuthorizedHttp(
        credentials,
        http=httplib2.Http(
            timeout=settings.INTEGRATIONS_HTTP_TIMEOUT_SECONDS, ca_certs=ca_bundle()
        ),
    )
    return build_from_document(_discovery_document(), http=http)


@contextlib.contextmanager
def _drive_errors(what: str) -> Iterator[None]:
    try:
        yield
    except DeliveryError:
        raise
    except HttpError as error:
        body = error.content.decode("utf-8", "replace") if error.content else ""
        retry_after = parse_retry_after(error.resp.get("retry-after"))
        raise status_error("Google Drive", what, error.resp.status, body, retry_after) from None
    except google.auth.exceptions.RefreshError as error:
        if error.retryable:
            raise TransientDeliveryError(f"Google token refresh failed: {error}") from None
        raise PermanentDeliveryError(f"Google token refresh failed: {error}") from None
    except (google.auth.exceptions.TransportError, httplib2.HttpLib2Error, OSError) as error:
        # OSError covers refused connections and socket timeouts.
        raise TransientDeliveryError(
            f"Google Drive {what} failed: {type(error).__name__}"
        ) from None
    except ValueError:
        raise TransientDeliveryError(
            f"Google Drive {what} returned a body that is not JSON."
        ) from None


def _execute(request, what: str) -> dict[str, Any]:
    """Run a Drive request and return its JSON object.

    The client returns a body that is not JSON as a plain string, which is raised here.
    """
    with _drive_errors(what):
        result = request.execute()
    if not isinstance(result, dict):
        raise TransientDeliveryError(f"Google Drive {what} returned a body that is not JSON.")
    return result


def _quoted(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _folder_id(service) -> str:
    name = settings.GOOGLE_DRIVE_FOLDER_NAME
    query = f"name = {_quoted(name)} and mimeType = {_quoted(FOLDER_MIME_TYPE)} and trashed = false"
    found = _list_files(service, query, "files(id,name)", "folder lookup")
    if not found:
        raise PermanentDeliveryError(
            f"Google Drive has no folder named {name!r} that the service account can see: "
            "share the folder with it or set GOOGLE_DRIVE_FOLDER_NAME."
        )
    return found[0]["id"]


def _list_files(service, query: str, fields: str, what: str) -> list[dict[str, Any]]:
    request = service.files().list(
        q=query,
        fields=fields,
        spaces="drive",
        supportsAllDrives=True,
        includeItemsFromAllDrives=True,
    )
    return _execute(request, what).get("files") or []


def _uploaded_file(service, incident_key: str) -> dict[str, Any] | None:
    query = (
        f"appProperties has {{ key={_quoted(INCIDENT_PROPERTY)} and "
        f"value={_quoted(incident_key)} }} and trashed = false"
    )
    found = _list_files(service, query, f"files({FILE_FIELDS})", "file lookup")
    return found[0] if found else None


def _metadata(incident_key: str, name: str, folder_id: str, sha256: str) -> dict[str, Any]:
    return {
        "name": name,
        "mimeType": PDF_MIME_TYPE,
        "parents": [folder_id],
        "appProperties": {INCIDENT_PROPERTY: incident_key, SHA256_PROPERTY: sha256},
    }


@operation(Target.GOOGLE_DRIVE, "upload_report", is_configured=is_configured)
def upload_report(message: OutboxMessage, dry_run: bool) -> Delivery:
    incident = message.incident
    stored = DriveFile.objects.filter(incident=incident).first()
    if stored is not None:
        return Delivery(request={}, response={"reused": True}, external_id=stored.file_id)

    upload_url = join_url(settings.GOOGLE_DRIVE_ROOT_URL, "/upload/drive/v3/files")
    params = {"uploadType": "multipart", "supportsAllDrives": True, "fields": FILE_FIELDS}
    if dry_run:
        folder = f"[id of the folder {settings.GOOGLE_DRIVE_FOLDER_NAME!r}]"
        metadata = _metadata(
            incident.key, report_file_name(incident), folder, "[sha256 of the PDF]"
        )
        return Delivery(request=describe_request("POST", upload_url, json=metadata, params=params))

    service = drive_service()
    folder_id = _folder_id(service)
    uploaded = _uploaded_file(service, incident.key)
    if uploaded is None:
        report = final_report(incident=incident, actor=Actor.for_integration(Target.GOOGLE_DRIVE))
        metadata = _metadata(incident.key, report.name, folder_id, report.sha256)
        media = MediaInMemoryUpload(report.content, mimetype=report.mime_type, resumable=False)
        request = service.files().create(
            body=metadata, media_body=media, fields=FILE_FIELDS, supportsAllDrives=True
        )
        uploaded = _execute(request, "upload")
        response = {"id": uploaded["id"], "bytes": len(report.content)}
    else:
        metadata = {"found": uploaded["id"]}
        response = {"found": uploaded["id"]}

    properties = uploaded.get("appProperties") or {}
    DriveFile.objects.create(
        incident=incident,
        file_id=uploaded["id"],
        name=uploaded.get("name", report_file_name(incident)),
        folder_id=folder_id,
        sha256=properties.get(SHA256_PROPERTY, ""),
        web_view_link=uploaded.get("webViewLink", ""),
    )
    request = describe_request("POST", upload_url, json=metadata, params=params)
    return Delivery(request=request, response=response, external_id=uploaded["id"])
