import csv
import io

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from mourafaka.cooperatives.importers import MemberImporter
from mourafaka.cooperatives.models import Member
from mourafaka.core import imports
from mourafaka.core.models import ImportRun

pytestmark = pytest.mark.django_db

HEADER = [column.name for column in MemberImporter.columns]
GOOD = [
    "SAF-2022-0088",
    "Fatima Alaoui",
    "فاطمة العلوي",
    "F",
    "12/03/1985",
    "AB123456",
    "membre",
    "0612345678",
    "",
    "oui",
]
BAD = ["SAF-2022-0088", "Sans Sexe", "", "?", "1990-01-01", "AB654321", "", "", "", ""]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def members_file(*rows, name="members.csv"):
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return SimpleUploadedFile(name, text.getvalue().encode("utf-8"), content_type="text/csv")


def upload(client, django_capture_on_commit_callbacks, *rows):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("cooperatives:imports:list"), {"kind": "members", "file": members_file(*rows)}
        )
    assert response.status_code == 302, response.content
    return ImportRun.objects.latest("created_at")


def test_upload_preview_then_confirm(client_for, django_capture_on_commit_callbacks):
    client = client_for("manager")
    run = upload(client, django_capture_on_commit_callbacks, GOOD, BAD)
    assert run.status == ImportRun.Status.PREVIEWED
    page = client.get(reverse("cooperatives:imports:detail", args=[run.pk]))
    assert page.status_code == 200
    assert [outcome["status"] for outcome in page.context["page"]] == ["created", "refused"]
    assert page.context["can_commit"]
    assert reverse("cooperatives:imports:refused", args=[run.pk]).encode() in page.content
    assert not Member.objects.filter(cin="AB123456").exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("cooperatives:imports:commit", args=[run.pk]))
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == ImportRun.Status.COMMITTED
    assert (run.rows_created, run.rows_refused) == (1, 1)
    assert Member.objects.filter(cin="AB123456").exists()
    assert not Member.objects.filter(cin="AB654321").exists()


def test_the_preview_explains_each_problem_in_the_users_language(
    client_for, django_capture_on_commit_callbacks
):
    client = client_for("manager")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    run = upload(client, django_capture_on_commit_callbacks, BAD)
    page = client.get(
        reverse("cooperatives:imports:detail", args=[run.pk]) + "?show=refused", HTTP_ACCEPT_LANGUAGE="en"
    )
    problem = page.context["page"][0]["problems"][0]
    assert (problem["column"], problem["value"], problem["level"]) == ("sex", "?", "error")
    assert "F or M" in problem["message"]
    assert b"Confirm the import" not in page.content


def test_the_refused_rows_download_in_the_uploaded_format(client_for, django_capture_on_commit_callbacks):
    client = client_for("manager")
    run = upload(client, django_capture_on_commit_callbacks, GOOD, BAD)
    response = client.get(reverse("cooperatives:imports:refused", args=[run.pk]))
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert lines[0] == [*HEADER, "errors"]
    assert lines[1][:2] == BAD[:2]


def test_the_progress_partial_polls_while_working_and_reloads_when_done(
    client_for, django_capture_on_commit_callbacks
):
    client = client_for("manager")
    run = upload(client, django_capture_on_commit_callbacks, GOOD)
    url = reverse("cooperatives:imports:detail", args=[run.pk]) + "?poll=1"
    done = client.get(url, HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true"
    ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.COMMITTING)
    working = client.get(url, HTTP_HX_REQUEST="true")
    assert working.status_code == 200
    assert b'hx-trigger="every 1s"' in working.content
    assert b"<progress" in working.content
    assert b"<html" not in working.content


def test_a_file_that_is_not_a_spreadsheet_is_refused_with_a_message(client_for):
    client = client_for("manager")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(
        reverse("cooperatives:imports:list"),
        {"kind": "members", "file": SimpleUploadedFile("photo.png", b"\x89PNG\r\n")},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "Only CSV and XLSX" in str(response.context["form"].errors["file"])
    assert not ImportRun.objects.exists()


def test_a_missing_column_fails_the_import_with_its_name(client_for, django_capture_on_commit_callbacks):
    client = client_for("manager")
    text = "registration_number,full_name_fr\nSAF-2022-0088,Fatima\n"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("cooperatives:imports:list"),
            {"kind": "members", "file": SimpleUploadedFile("members.csv", text.encode())},
        )
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.FAILED
    page = client.get(reverse("cooperatives:imports:detail", args=[run.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "full_name_ar" in page.context["file_error"]


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_templates_download_with_their_explanation_row(client_for, file_format):
    response = client_for("delegate.safi").get(
        reverse("cooperatives:imports:template", args=["cooperatives", file_format])
    )
    assert response.status_code == 200
    if file_format == "xlsx":
        rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    else:
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "registration_number" and rows[0][-1] == "national_programmes"
    assert rows[1][0].startswith(imports.EXPLANATION_MARKER)


def test_the_imports_page_lists_only_the_users_own_imports(
    client_for, django_capture_on_commit_callbacks, persona
):
    run = upload(client_for("manager"), django_capture_on_commit_callbacks, GOOD)
    mine = client_for("manager").get(reverse("cooperatives:imports:list"))
    assert list(mine.context["runs"]) == [run]
    other = client_for("delegate.safi").get(reverse("cooperatives:imports:list"))
    assert list(other.context["runs"]) == []


def test_it_hides_other_peoples_imports(client_for, django_capture_on_commit_callbacks):
    run = upload(client_for("manager"), django_capture_on_commit_callbacks, GOOD, BAD)
    other = client_for("delegate.safi")
    assert other.get(reverse("cooperatives:imports:detail", args=[run.pk])).status_code == 404
    assert other.get(reverse("cooperatives:imports:refused", args=[run.pk])).status_code == 404
    assert other.post(reverse("cooperatives:imports:commit", args=[run.pk])).status_code == 404
    run.refresh_from_db()
    assert run.status == ImportRun.Status.PREVIEWED


def test_it_requires_write_access(client_for):
    client = client_for("coach")
    assert client.get(reverse("cooperatives:imports:list")).status_code == 403
    assert (
        client.post(
            reverse("cooperatives:imports:list"), {"kind": "members", "file": members_file(GOOD)}
        ).status_code
        == 403
    )
    assert client.get(reverse("cooperatives:imports:template", args=["members", "csv"])).status_code == 403
    assert not ImportRun.objects.exists()


def test_confirming_twice_is_refused_with_a_reason(client_for, django_capture_on_commit_callbacks):
    client = client_for("manager")
    run = upload(client, django_capture_on_commit_callbacks, GOOD)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("cooperatives:imports:commit", args=[run.pk]))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(
        reverse("cooperatives:imports:commit", args=[run.pk]), follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "cannot be confirmed now" in " ".join(str(message) for message in response.context["messages"])
    assert Member.objects.filter(cin="AB123456").count() == 1


def test_the_cooperative_list_links_to_imports_for_those_who_may_import(client_for):
    link = reverse("cooperatives:imports:list").encode()
    assert link in client_for("delegate.safi").get(reverse("cooperatives:list")).content
    assert link not in client_for("coach").get(reverse("cooperatives:list")).content
