"""User text is escaped, and the renderer fetches only the report's own stylesheet."""

import datetime as dt
import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pypdf import PdfReader
from weasyprint.urls import URLFetcher

from incidents.services import timeline_add_note
from reports import pdf as report_pdf
from reports.fonts import REPORT_FONT_FAMILY
from reports.pdf import ReportAssetError, ReportURLFetcher, asset_url, html_to_pdf
from reports.services import report_render
from tests.factories import make_incident
from tests.reports.conftest import flat_text, pdf_text


class _RecordingHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.requested_paths.append(self.path)
        body = b"p { color: red }" if self.path.endswith(".css") else b"not an image"
        self.send_response(200)
        self.send_header("Content-Type", "text/css" if self.path.endswith(".css") else "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


@pytest.fixture
def recording_server():
    """An HTTP server on 127.0.0.1 that records the path of every request."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RecordingHandler)
    server.requested_paths = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("SECRET-MARKER-7f3a\n")
    return path


def _hostile_html(server_url: str, file_url: str) -> str:
    """A document that names remote and local resources in each way WeasyPrint loads them."""
    svg = (
        "<svg xmlns='http://www.w3.org/2000/svg'>"
        f"<image href='{server_url}/svg.png'/><image href='{file_url}'/></svg>"
    )
    return f"""<!DOCTYPE html>
<html><head>
  <link rel="stylesheet" href="{server_url}/link.css">
  <style>
    @import url("{server_url}/import.css");
    @import url("{file_url}");
    body {{ background: url("{server_url}/background.png"); }}
    @font-face {{ font-family: Remote; src: url("{server_url}/font.ttf"); }}
  </style>
  <link rel="attachment" href="{file_url}">
</head><body>
  <p style="font-family: Remote">Hostile document</p>
  <img src="{server_url}/image.png">
  <img src="{file_url}">
  <img src="file:///etc/hostname">
  <object data="{server_url}/object.png" type="image/png"></object>
  <embed src="{file_url}" type="image/png">
  <a rel="attachment" href="file:///etc/hostname">hostname</a>
  <a rel="attachment" href="{file_url}">secret</a>
  <img src="data:image/svg+xml,{svg}">
</body></html>"""


def _embedded_files_and_images(pdf: bytes) -> tuple[dict, int]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader.attachments, sum(len(page.images) for page in reader.pages)


def test_hostile_document_fetches_nothing(recording_server, secret_file):
    server_url = f"http://127.0.0.1:{recording_server.server_port}"

    pdf = html_to_pdf(_hostile_html(server_url, secret_file.as_uri()))

    attachments, images = _embedded_files_and_images(pdf)
    assert recording_server.requested_paths == []
    assert attachments == {}
    assert images == 0
    assert b"SECRET-MARKER-7f3a" not in pdf
    assert "Hostile document" in pdf_text(pdf)


def test_default_fetcher_would_fetch(recording_server, secret_file, monkeypatch):
    """The control case: the same document with WeasyPrint's own fetcher loads both."""
    server_url = f"http://127.0.0.1:{recording_server.server_port}"
    monkeypatch.setattr(report_pdf, "ReportURLFetcher", URLFetcher)

    pdf = html_to_pdf(_hostile_html(server_url, secret_file.as_uri()))

    attachments, _ = _embedded_files_and_images(pdf)
    assert "/link.css" in recording_server.requested_paths
    assert "/image.png" in recording_server.requested_paths
    assert "secret.txt" in attachments


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/report.css",
        "https://example.org/report.css",
        "file:///etc/hostname",
        "data:text/css,p{color:red}",
        "data:image/png;base64,iVBORw0KGgo=",
        "ftp://127.0.0.1/report.css",
        "report-asset:reports/other.css",
        "report-asset:../../settings.py",
        "report-asset:/etc/hostname",
        "reports/report.css",
    ],
)
def test_fetcher_rejects_url(url):
    with pytest.raises(ReportAssetError):
        ReportURLFetcher().fetch(url)


def test_fetcher_serves_report_stylesheet():
    response = ReportURLFetcher().fetch(asset_url("reports/report.css"))

    assert response.content_type == "text/css"
    assert f'"{REPORT_FONT_FAMILY}"'.encode() in response.read()


def test_asset_url_rejects_unknown_name():
    with pytest.raises(ReportAssetError, match="not a report asset"):
        asset_url("reports/other.css")


@pytest.mark.django_db
def test_user_text_is_escaped(staff_actor, recording_server):
    server_url = f"http://127.0.0.1:{recording_server.server_port}"
    incident = make_incident(
        actor=staff_actor,
        title="<script>alert(1)</script> Zürich ✓",
        summary=f'<img src="{server_url}/summary.png"> Ελληνικά – Кириллица €',
    )
    timeline_add_note(
        incident=incident,
        actor=staff_actor,
        text=f"<link rel=stylesheet href={server_url}/note.css> <img src=file:///etc/hostname>",
    )

    pdf = report_render(
        incident=incident,
        generated_by_label="<b>duty-engineer</b>",
        generated_at=dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
    )
    text = flat_text(pdf)

    assert recording_server.requested_paths == []
    assert "<script>alert(1)</script> Zürich ✓" in text
    assert f'<img src="{server_url}/summary.png"> Ελληνικά – Кириллица €' in text
    assert f"<link rel=stylesheet href={server_url}/note.css>" in text
    assert "<img src=file:///etc/hostname>" in text
    assert "by <b>duty-engineer</b>" in text
    assert _embedded_files_and_images(pdf) == ({}, 0)
