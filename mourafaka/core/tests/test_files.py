"""A stored file that went missing answers 404 to whoever may see it, never a server error."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404
from django.urls import reverse

from mourafaka.cooperatives.models import Cooperative, CooperativeDocument
from mourafaka.core.files import stored_file_response

pytestmark = pytest.mark.django_db


class MissingFile:
    name = "gone/file.pdf"

    def open(self, mode="rb"):
        raise FileNotFoundError(self.name)


def test_a_missing_file_is_a_404():
    with pytest.raises(Http404):
        stored_file_response(MissingFile(), filename="file.pdf")


def test_a_document_whose_file_was_lost_answers_404_on_its_page(client_for, persona):
    cooperative = Cooperative.objects.get(registration_number="SAF-2022-0088")
    name = default_storage.save("documents/test-lost.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))
    document = CooperativeDocument.objects.create(
        cooperative=cooperative, kind=CooperativeDocument.Kind.values[0],
        title="Perdu", file=name, original_name="perdu.pdf", size=15, content_type="application/pdf",
        uploaded_by=persona("manager"),
    )  # fmt: skip
    client = client_for("manager")
    url = reverse("cooperatives:documents:download", args=[document.pk])
    assert client.get(url).status_code == 200
    default_storage.delete(name)
    assert client.get(url).status_code == 404
