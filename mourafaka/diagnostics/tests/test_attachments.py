import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mourafaka.cooperatives.demo_members import minimal_pdf
from mourafaka.cooperatives.models import RegistrySettings
from mourafaka.diagnostics.attachments import add_attachment, remove_attachment
from mourafaka.diagnostics.models import Diagnostic, DiagnosticAttachment

JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def photo(name="atelier.jpg"):
    return SimpleUploadedFile(name, JPEG_BYTES, content_type="image/jpeg")


def upload(client, diagnostic, file, kind="photo", caption="Atelier"):
    client.cookies["mourafaka_language"] = "en"
    return client.post(
        reverse("diagnostics:attachment_upload", args=[diagnostic.pk]),
        {"kind": kind, "caption": caption, "file": file},
        follow=True,
    )


def page_text(response) -> str:
    return response.content.decode()


@pytest.mark.django_db
def test_the_consultant_attaches_a_photo_and_a_document_seen_on_both_pages(fresh, client_for):
    diagnostic = fresh()
    client = client_for("consultant")
    assert upload(client, diagnostic, photo()).status_code == 200
    pdf = SimpleUploadedFile("pv.pdf", minimal_pdf("PV"), content_type="application/pdf")
    upload(client, diagnostic, pdf, kind="document", caption="PV assemblée")
    attachments = {a.kind: a for a in diagnostic.attachments.all()}
    assert attachments["photo"].content_type == "image/jpeg"
    assert attachments["document"].content_type == "application/pdf"
    assert attachments["photo"].file.name.startswith("diagnostics/")
    fill = page_text(client.get(reverse("diagnostics:fill", args=[diagnostic.pk])))
    assert 'enctype="multipart/form-data"' in fill and 'capture="environment"' in fill
    assert "image/*" in fill
    detail = page_text(client_for("delegate.safi").get(reverse("diagnostics:detail", args=[diagnostic.pk])))
    download = reverse("diagnostics:attachment_download", args=[attachments["photo"].pk])
    assert f'<img class="attachment-thumb" src="{download}"' in detail
    assert "PV assemblée" in detail
    response = client_for("delegate.safi").get(download)
    assert response.status_code == 200 and b"".join(response.streaming_content) == JPEG_BYTES


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name, content, kind, message",
    [
        ("virus.exe", b"MZ\x90\x00", "document", "Only PDF, JPEG, PNG, DOCX and XLSX"),
        ("faux.pdf", b"not a pdf at all", "document", "is not a PDF file"),
        ("vide.jpg", b"", "photo", "The file is empty"),
        ("pv.pdf", minimal_pdf("PV"), "photo", "A photo must be a JPEG or PNG image"),
    ],
)
def test_a_bad_file_is_refused_with_its_reason_and_nothing_saved(
    fresh, client_for, name, content, kind, message
):
    diagnostic = fresh()
    response = upload(client_for("consultant"), diagnostic, SimpleUploadedFile(name, content), kind=kind)
    assert message in page_text(response)
    assert not DiagnosticAttachment.objects.filter(diagnostic=diagnostic).exists()


@pytest.mark.django_db
def test_a_file_over_the_limit_is_refused(fresh, persona):
    RegistrySettings.objects.update_or_create(pk=1, defaults={"max_upload_mb": 1})
    big = SimpleUploadedFile("gros.jpg", JPEG_BYTES + b"0" * (1024 * 1024))
    with pytest.raises(ValidationError, match="limit is 1 MB"):
        add_attachment(fresh(), big, "photo", "", persona("consultant"))
    assert not DiagnosticAttachment.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["delegate.guelmim", "coach", "cooperative"])
def test_attachments_out_of_scope_answer_404(fresh, persona, client_for, who):
    diagnostic = fresh("SAF-2022-0088")  # the demo cooperative's own, still a draft
    attachment = add_attachment(diagnostic, photo(), "photo", "", persona("consultant"))
    client = client_for(who)
    assert client.get(reverse("diagnostics:attachment_download", args=[attachment.pk])).status_code == 404
    assert client.post(reverse("diagnostics:attachment_delete", args=[attachment.pk])).status_code == 404
    assert client.post(reverse("diagnostics:attachment_upload", args=[diagnostic.pk])).status_code == 404
    api = client.get(f"/api/v1/diagnostics/{diagnostic.pk}/attachments/")
    assert api.status_code == 404
    assert DiagnosticAttachment.objects.filter(pk=attachment.pk).exists()


@pytest.mark.django_db
def test_the_cooperative_sees_the_files_once_validated(fresh, persona, client_for):
    diagnostic = fresh("SAF-2022-0088")
    attachment = add_attachment(diagnostic, photo(), "photo", "", persona("consultant"))
    Diagnostic.objects.filter(pk=diagnostic.pk).update(status=Diagnostic.Status.VALIDATED)
    client = client_for("cooperative")
    assert client.get(reverse("diagnostics:attachment_download", args=[attachment.pk])).status_code == 200
    assert client.post(reverse("diagnostics:attachment_delete", args=[attachment.pk])).status_code == 403


@pytest.mark.django_db
def test_only_the_assigned_consultant_attaches(fresh, persona, client_for):
    diagnostic = fresh()
    with pytest.raises(PermissionDenied):
        add_attachment(diagnostic, photo(), "photo", "", persona("delegate.safi"))
    assert upload(client_for("manager"), diagnostic, photo()).status_code == 403
    assert not diagnostic.attachments.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Diagnostic.Status.SUBMITTED, Diagnostic.Status.VALIDATED])
def test_attachments_are_frozen_once_submitted_or_validated(fresh, persona, client_for, status):
    diagnostic = fresh()
    consultant = persona("consultant")
    attachment = add_attachment(diagnostic, photo(), "photo", "", consultant)
    Diagnostic.objects.filter(pk=diagnostic.pk).update(status=status)
    diagnostic.refresh_from_db()
    with pytest.raises(ValidationError):
        add_attachment(diagnostic, photo(), "photo", "", consultant)
    with pytest.raises(ValidationError):
        remove_attachment(attachment, consultant)
    client = client_for("consultant")
    client.post(reverse("diagnostics:attachment_delete", args=[attachment.pk]))
    response = upload(client, diagnostic, photo())
    assert "can no longer be changed" in page_text(response) or "waiting for validation" in page_text(
        response
    )
    assert list(diagnostic.attachments.all()) == [attachment]
    detail = page_text(client.get(reverse("diagnostics:detail", args=[diagnostic.pk])))
    assert reverse("diagnostics:attachment_delete", args=[attachment.pk]) not in detail


@pytest.mark.django_db
def test_removing_deletes_the_record_then_its_file(fresh, persona, django_capture_on_commit_callbacks):
    diagnostic = fresh()
    attachment = add_attachment(diagnostic, photo(), "photo", "", persona("consultant"))
    storage, name = attachment.file.storage, attachment.file.name
    with django_capture_on_commit_callbacks(execute=True):
        remove_attachment(attachment, persona("consultant"))
    assert not diagnostic.attachments.exists()
    assert not storage.exists(name)


@pytest.mark.django_db
def test_the_api_lists_and_uploads_with_the_same_checks(fresh, client_for):
    diagnostic = fresh()
    url = f"/api/v1/diagnostics/{diagnostic.pk}/attachments/"
    client = client_for("consultant")
    client.cookies["mourafaka_language"] = "en"
    created = client.post(url, {"kind": "photo", "caption": "Stock", "file": photo()})
    assert created.status_code == 201, created.content
    assert created.json()["content_type"] == "image/jpeg"
    refused = client.post(url, {"kind": "document", "file": SimpleUploadedFile("x.pdf", b"not a pdf")})
    assert refused.status_code == 400 and "PDF" in str(refused.json())
    assert client_for("delegate.safi").post(url, {"kind": "photo", "file": photo()}).status_code == 403
    listed = client_for("delegate.safi").get(url)
    assert listed.status_code == 200
    assert [item["caption"] for item in listed.json()] == ["Stock"]
    Diagnostic.objects.filter(pk=diagnostic.pk).update(status=Diagnostic.Status.VALIDATED)
    frozen = client.post(url, {"kind": "photo", "file": photo()})
    assert frozen.status_code == 400 and "validated" in str(frozen.json())
    assert diagnostic.attachments.count() == 1


@pytest.mark.django_db
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(min_size=1, max_size=200))
def test_random_bytes_named_jpg_are_never_stored_unless_they_start_like_a_jpeg(fresh, persona, content):
    diagnostic = (
        Diagnostic.objects.filter(consultant=persona("consultant"), status="draft").first() or fresh()
    )
    before = diagnostic.attachments.count()
    try:
        add_attachment(diagnostic, SimpleUploadedFile("p.jpg", content), "photo", "", persona("consultant"))
    except ValidationError:
        assert diagnostic.attachments.count() == before
    else:
        assert content.startswith(b"\xff\xd8\xff")
