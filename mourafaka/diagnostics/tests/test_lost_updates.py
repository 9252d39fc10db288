"""Two people editing the analysis and figures of one diagnostic: the later stale save is refused,
with a clear message and the typed text kept, instead of silently overwriting the other."""

import pytest
from django.urls import reverse

from mourafaka.diagnostics import services
from mourafaka.diagnostics.models import Diagnostic

pytestmark = pytest.mark.django_db


def test_a_save_with_the_current_version_goes_through_and_moves_the_version(fresh, persona):
    diagnostic = fresh()
    saved = services.save_details(
        diagnostic=diagnostic, values={"strengths": "Savoir-faire"}, by=persona("consultant"), version=1
    )
    assert (saved.strengths, saved.details_version) == ("Savoir-faire", 2)


def test_a_stale_save_is_refused_and_changes_nothing(fresh, persona):
    diagnostic = fresh()
    consultant = persona("consultant")
    services.save_details(diagnostic=diagnostic, values={"strengths": "Premier"}, by=consultant, version=1)
    with pytest.raises(services.StaleDetails):
        services.save_details(diagnostic=diagnostic, values={"strengths": "Second"}, by=consultant, version=1)
    diagnostic.refresh_from_db()
    assert (diagnostic.strengths, diagnostic.details_version) == ("Premier", 2)


def test_the_page_keeps_the_typed_text_of_a_stale_save(fresh, client_for):
    diagnostic = fresh()
    url = reverse("diagnostics:details", args=[diagnostic.pk])
    first, second = client_for("consultant"), client_for("consultant")  # two tabs, both loaded version 1
    assert first.post(url, {"strengths": "Écrit dans l'onglet 1", "version": "1"}).status_code == 302
    response = second.post(url, {"strengths": "Texte long tapé dans l'onglet 2", "version": "1"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Texte long tapé dans l&#x27;onglet 2" in page  # what was typed comes back in the form
    assert 'name="version" value="1"' in page
    diagnostic.refresh_from_db()
    assert diagnostic.strengths == "Écrit dans l'onglet 1"


def test_the_form_carries_the_version_it_loaded(fresh, client_for):
    diagnostic = fresh()
    Diagnostic.objects.filter(pk=diagnostic.pk).update(details_version=7)
    page = client_for("consultant").get(reverse("diagnostics:fill", args=[diagnostic.pk])).content.decode()
    assert 'name="version" value="7"' in page


def test_invalid_figures_keep_the_typed_text(fresh, client_for):
    diagnostic = fresh()
    response = client_for("consultant").post(
        reverse("diagnostics:details", args=[diagnostic.pk]),
        {"strengths": "Gardé", "turnover_mad": "-5", "version": "1"},
    )
    assert response.status_code == 400
    assert "Gardé" in response.content.decode()
