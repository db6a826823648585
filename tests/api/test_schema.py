import re

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_schema_validates_without_warnings(tmp_path):
    output = tmp_path / "schema.yml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(output))

    schema = output.read_text()
    assert "/api/v1/incidents/{key}/transition/" in schema
    assert "/api/v1/manual-reports/" in schema


def test_schema_is_served(api_client):
    response = api_client.get("/api/schema/")

    assert response.status_code == 200


def test_docs_use_only_local_assets(api_client):
    response = api_client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets
    for asset in assets:
        assert asset.startswith("/static/drf_spectacular_sidecar/"), asset
    assert "//cdn" not in html
    assert "unpkg" not in html
