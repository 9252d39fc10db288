import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from mourafaka.cooperatives.importers import CooperativeImporter
from mourafaka.cooperatives.models import Cooperative
from mourafaka.core.models import ImportRun

pytestmark = pytest.mark.django_db

HEADER = [column.name for column in CooperativeImporter.columns]
GOOD = {
    "registration_number": "SAF-2025-0042",
    "name_fr": "Coopérative Assafi",
    "province_code": "07.431",
    "region_code": "07",
    "members_total": "9",
    "members_women": "4",
    "members_youth": "2",
}
BAD = {**GOOD, "registration_number": "SAF-2025-0043", "members_women": "10"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def api_for(persona):
    def make(key: str) -> APIClient:
        client = APIClient()
        client.force_authenticate(persona(key))
        return client

    return make


def cooperatives_file(*rows):
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=HEADER)
    writer.writeheader()
    writer.writerows(rows)
    return SimpleUploadedFile("cooperatives.csv", text.getvalue().encode("utf-8"))


def post_file(client, django_capture_on_commit_callbacks, *rows):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(
            "/api/v1/imports/", {"kind": "cooperatives", "file": cooperatives_file(*rows)}, format="multipart"
        )


def test_upload_read_commit_and_download_the_refused_rows(api_for, django_capture_on_commit_callbacks):
    client = api_for("delegate.safi")
    response = post_file(client, django_capture_on_commit_callbacks, GOOD, BAD)
    assert response.status_code == 201, response.json()
    run_id = response.json()["id"]
    body = client.get(f"/api/v1/imports/{run_id}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["status"] == "previewed"
    assert (body["rows_created"], body["rows_refused"]) == (1, 1)
    refused = next(row for row in body["rows"] if row["status"] == "refused")
    assert refused["problems"][0]["column"] == "members_women"
    assert "cannot outnumber" in refused["problems"][0]["message"]
    assert body["has_refused_file"] is True
    assert not Cooperative.objects.filter(registration_number="SAF-2025-0042").exists()

    with django_capture_on_commit_callbacks(execute=True):
        committed = client.post(f"/api/v1/imports/{run_id}/commit/")
    assert committed.status_code == 202
    assert client.get(f"/api/v1/imports/{run_id}/").json()["status"] == "committed"
    assert Cooperative.objects.filter(registration_number="SAF-2025-0042").exists()

    download = client.get(f"/api/v1/imports/{run_id}/refused/")
    assert download.status_code == 200
    lines = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig"))))
    assert lines[0] == [*HEADER, "errors"]
    assert lines[1][0] == "SAF-2025-0043"


def test_the_list_shows_only_the_users_imports(api_for, django_capture_on_commit_callbacks):
    post_file(api_for("manager"), django_capture_on_commit_callbacks, GOOD)
    assert api_for("manager").get("/api/v1/imports/").json()["count"] == 1
    assert api_for("delegate.safi").get("/api/v1/imports/").json()["count"] == 0


def test_a_file_that_is_not_a_spreadsheet_is_refused(api_for):
    response = api_for("manager").post(
        "/api/v1/imports/",
        {"kind": "members", "file": SimpleUploadedFile("notes.docx", b"PK\x03\x04")},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "CSV and XLSX" in response.json()["file"][0]
    assert not ImportRun.objects.exists()


def test_it_hides_other_regions(api_for, django_capture_on_commit_callbacks):
    run_id = post_file(api_for("manager"), django_capture_on_commit_callbacks, GOOD).json()["id"]
    other = api_for("delegate.safi")
    assert other.get(f"/api/v1/imports/{run_id}/").status_code == 404
    assert other.post(f"/api/v1/imports/{run_id}/commit/").status_code == 404
    assert other.get(f"/api/v1/imports/{run_id}/refused/").status_code == 404
    assert ImportRun.objects.get(pk=run_id).status == ImportRun.Status.PREVIEWED


def test_it_requires_write_access(api_for):
    response = api_for("coach").post(
        "/api/v1/imports/", {"kind": "cooperatives", "file": cooperatives_file(GOOD)}, format="multipart"
    )
    assert response.status_code == 403
    assert response.json()["detail"]
    assert not ImportRun.objects.exists()
