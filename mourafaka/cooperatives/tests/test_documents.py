import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from mourafaka.cooperatives.demo_members import minimal_pdf
from mourafaka.cooperatives.documents import check_document_file
from mourafaka.cooperatives.models import Cooperative, CooperativeDocument, RegistrySettings

SAFI = "SAF-2022-0088"


def safi() -> Cooperative:
    return Cooperative.objects.get(registration_number=SAFI)


def pdf_upload(name="statuts.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, minimal_pdf("Statuts"), content_type="application/pdf")


def upload(client, cooperative, file, kind="statutes"):
    client.cookies["mourafaka_language"] = "en"
    return client.post(
        reverse("cooperatives:documents:list", args=[cooperative.pk]),
        {"kind": kind, "title": "Statuts 2024", "file": file},
    )


@pytest.mark.django_db
def test_the_demo_has_documents_that_are_real_pdfs():
    document = CooperativeDocument.objects.get(cooperative__registration_number=SAFI)
    with document.file.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"
    assert document.content_type == "application/pdf"


@pytest.mark.django_db
def test_a_delegate_uploads_and_a_consultant_in_scope_downloads(client_for):
    coop = safi()
    response = upload(client_for("delegate.safi"), coop, pdf_upload())
    assert response.status_code == 302
    document = coop.documents.get(original_name="statuts.pdf")
    assert (document.kind, document.content_type, document.size) == (
        "statutes",
        "application/pdf",
        len(minimal_pdf("Statuts")),
    )
    download = client_for("consultant").get(reverse("cooperatives:documents:download", args=[document.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
    assert "attachment" in download["Content-Disposition"]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["delegate.guelmim", "trainer", "observer"])
def test_documents_outside_the_scope_answer_404(client_for, who):
    document = CooperativeDocument.objects.get(cooperative__registration_number=SAFI)
    client = client_for(who)
    assert client.get(reverse("cooperatives:documents:download", args=[document.pk])).status_code == 404
    assert client.post(reverse("cooperatives:documents:delete", args=[document.pk])).status_code == 404
    assert (
        client.get(reverse("cooperatives:documents:list", args=[document.cooperative_id])).status_code == 404
    )
    assert client.get(f"/api/v1/documents/{document.pk}/download/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("virus.exe", b"MZ\x90\x00", "Only PDF, JPEG, PNG, DOCX and XLSX"),
        ("statuts.pdf", b"MZ\x90\x00 an executable renamed", "is not a PDF file"),
        ("photo.png", b"%PDF-1.4 a pdf called png", "is not a PNG file"),
        ("vide.pdf", b"", "empty"),
    ],
)
def test_a_bad_file_is_refused_with_its_reason_and_nothing_stored(client_for, name, content, message):
    coop = safi()
    before = CooperativeDocument.objects.count()
    response = upload(client_for("manager"), coop, SimpleUploadedFile(name, content))
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors["file"])
    assert CooperativeDocument.objects.count() == before


@pytest.mark.django_db
def test_a_file_over_the_limit_is_refused(client_for):
    RegistrySettings.objects.update_or_create(pk=1, defaults={"max_upload_mb": 1})
    big = SimpleUploadedFile("gros.pdf", b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 10))
    response = upload(client_for("manager"), safi(), big)
    assert response.status_code == 400
    assert "the limit is 1 MB" in " ".join(response.context["form"].errors["file"])


@pytest.mark.django_db
def test_a_read_only_role_cannot_upload_or_delete(client_for):
    coop = safi()
    client = client_for("coach")
    assert upload(client, coop, pdf_upload()).status_code == 403
    document = coop.documents.first()
    assert client.post(reverse("cooperatives:documents:delete", args=[document.pk])).status_code == 403
    assert CooperativeDocument.objects.filter(pk=document.pk).exists()
    page = client.get(reverse("cooperatives:documents:list", args=[coop.pk]))
    assert page.context["form"] is None


@pytest.mark.django_db
def test_deleting_removes_the_record_then_its_file(client_for, django_capture_on_commit_callbacks):
    coop = safi()
    upload(client_for("manager"), coop, pdf_upload("a-supprimer.pdf"))
    document = coop.documents.get(original_name="a-supprimer.pdf")
    storage, name = document.file.storage, document.file.name
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("delegate.safi").post(
            reverse("cooperatives:documents:delete", args=[document.pk])
        )
    assert response.status_code == 302
    assert not CooperativeDocument.objects.filter(pk=document.pk).exists()
    assert not storage.exists(name)


# ---------------------------------------------------------------------------
# API


@pytest.mark.django_db
def test_the_documents_api_uploads_with_the_same_checks_and_downloads(client_for):
    coop = safi()
    client = client_for("cooperative")  # the representative of this cooperative
    refused = client.post(
        "/api/v1/documents/",
        {"cooperative": coop.pk, "kind": "certificate", "file": SimpleUploadedFile("c.pdf", b"not a pdf")},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 400
    assert "is not a PDF file" in str(refused.json()["file"])
    created = client.post(
        "/api/v1/documents/", {"cooperative": coop.pk, "kind": "certificate", "file": pdf_upload("c.pdf")}
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["content_type"], body["original_name"]) == ("application/pdf", "c.pdf")
    download = client.get(body["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
    listed = client.get("/api/v1/documents/").json()["results"]
    assert {row["cooperative"] for row in listed} == {coop.pk}


@pytest.mark.django_db
def test_a_representative_cannot_upload_for_another_cooperative(client_for):
    other = Cooperative.objects.get(registration_number="GUE-2023-0021")
    response = client_for("cooperative").post(
        "/api/v1/documents/", {"cooperative": other.pk, "kind": "statutes", "file": pdf_upload()}
    )
    assert response.status_code == 400  # that cooperative does not exist for them
    assert not other.documents.exists()


# ---------------------------------------------------------------------------
# The content check as a property


@given(content=st.binary(min_size=1, max_size=64))
def test_a_file_called_pdf_is_accepted_only_when_its_bytes_are_a_pdf(content):
    file = ContentFile(content, name="document.pdf")
    try:
        check_document_file(file, max_mb=1)
    except ValidationError:
        assert not content.startswith(b"%PDF-")
    else:
        assert content.startswith(b"%PDF-")
