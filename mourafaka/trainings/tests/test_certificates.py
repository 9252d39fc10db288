"""Certificates: issued only to those who completed (with the reason otherwise), one per participant,
frozen, revoked with a reason; the public verification page; the PDF in French and Arabic with its
QR code; who may download and revoke (404 out of scope)."""

import datetime as dt
import re
import zlib
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from mourafaka.trainings import certificates
from mourafaka.trainings.models import Certificate, Session
from mourafaka.trainings.tests.people import days, enrol, new_member


def pdf_font_names(content: bytes) -> set[bytes]:
    """The font names of a PDF, read from its compressed object streams too."""
    pattern = rb"/(?:BaseFont|FontName)\s*/([^\s/>]+)"
    names = set(re.findall(pattern, content))
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", content, re.S):
        try:
            names.update(re.findall(pattern, zlib.decompress(stream)))
        except zlib.error:
            continue
    return names


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def session(make_session, trainer_profile):
    """A two-day session in Safi run by the demo trainer."""
    return make_session(trainers=[trainer_profile])


@pytest.fixture
def completer(session):
    return enrol(
        session, member=new_member(name_fr="Fatima Zahra Alaoui", name_ar="فاطمة الزهراء العلوي"), present=2
    )


@pytest.fixture
def certificate(completer, persona) -> Certificate:
    return certificates.issue_certificate(registration=completer, by=persona("trainer"))


# ---------------------------------------------------------------------------
# Issuing


def test_a_completer_gets_a_certificate_that_freezes_what_it_certifies(completer, persona):
    certificate = certificates.issue_certificate(registration=completer, by=persona("trainer"))
    assert certificate.language == "fr"
    assert certificate.holder_name == "Fatima Zahra Alaoui"
    module = completer.session.module
    titles = (module.name_fr, module.name_ar)
    assert (certificate.module_title_fr, certificate.module_title_ar) == titles
    assert (certificate.first_day, certificate.last_day) == (dt.date(2026, 12, 7), dt.date(2026, 12, 8))
    assert certificate.issued_by == persona("trainer")
    assert len(certificate.code) == 10 and set(certificate.code) <= set(certificates.CODE_ALPHABET)
    module.name_fr = "Comptabilité (nouveau titre)"
    module.save()
    completer.member.full_name_fr = "Autre nom"
    completer.member.save()
    certificate.refresh_from_db()
    assert certificate.module_title_fr == titles[0] and certificate.holder_name == "Fatima Zahra Alaoui"


def test_an_arabic_certificate_carries_the_arabic_name(completer, persona):
    certificate = certificates.issue_certificate(registration=completer, by=persona("manager"), language="ar")
    assert certificate.language == "ar" and certificate.holder_name == "فاطمة الزهراء العلوي"


def test_an_arabic_certificate_of_a_member_without_arabic_name_uses_the_french_one(session, persona):
    registration = enrol(session, member=new_member(name_fr="Said Amrani", name_ar=""), present=2)
    certificate = certificates.issue_certificate(
        registration=registration, by=persona("manager"), language="ar"
    )
    assert certificate.holder_name == "Said Amrani"


def test_the_code_alphabet_has_no_ambiguous_characters():
    assert not set("0O1IL") & set(certificates.CODE_ALPHABET)


def test_a_code_already_taken_is_drawn_again(certificate, session, persona, monkeypatch):
    drawn = iter([certificate.code, "ABCDEFGHJK"])
    monkeypatch.setattr(certificates, "new_code", lambda: next(drawn))
    other = enrol(session, member=new_member(), present=2)
    assert certificates.issue_certificate(registration=other, by=persona("trainer")).code == "ABCDEFGHJK"


def test_below_the_completion_rule_no_certificate_and_the_reason(make_session, persona):
    session = make_session(days=days(5), completion_rate=Decimal("0.80"))
    registration = enrol(session, member=new_member(name_fr="Khadija Naciri"), present=3)
    with pytest.raises(ValidationError) as refused:
        certificates.issue_certificate(registration=registration, by=persona("manager"))
    assert refused.value.messages == ["Khadija Naciri attended 3 of 5 days; 4 needed."]
    assert not Certificate.objects.filter(registration=registration).exists()


def test_someone_never_present_is_refused(session, persona):
    registration = enrol(session, member=new_member(name_fr="Amina Tazi"), status="invited")
    with pytest.raises(ValidationError, match="Amina Tazi attended 0 of 2 days; 2 needed."):
        certificates.issue_certificate(registration=registration, by=persona("manager"))


def test_one_certificate_per_participant(certificate, completer, persona):
    with pytest.raises(ValidationError, match="already has a certificate for this session"):
        certificates.issue_certificate(registration=completer, by=persona("manager"))
    assert Certificate.objects.filter(registration=completer).count() == 1


def test_a_cancelled_session_gives_no_certificate(completer, persona):
    Session.objects.filter(pk=completer.session_id).update(status=Session.Status.CANCELLED)
    with pytest.raises(ValidationError, match="cancelled"):
        certificates.issue_certificate(registration=completer, by=persona("manager"))


def test_only_french_or_arabic(completer, persona):
    with pytest.raises(ValidationError, match="French or in Arabic"):
        certificates.issue_certificate(registration=completer, by=persona("manager"), language="en")


def test_issue_certificates_covers_every_completer_once(session, certificate, persona):
    second = enrol(session, member=new_member(), present=2)
    half = enrol(session, member=new_member(), present=1)
    issued = certificates.issue_certificates(session=session, by=persona("trainer"), language="ar")
    assert [found.registration_id for found in issued] == [second.pk]
    assert issued[0].language == "ar"
    assert not Certificate.objects.filter(registration=half).exists()
    assert certificates.issue_certificates(session=session, by=persona("trainer")) == []


@pytest.mark.parametrize("key", ["coach", "delegate.guelmim", "cooperative", "observer"])
def test_only_the_sessions_trainers_and_planners_issue(completer, persona, key):
    with pytest.raises(PermissionDenied):
        certificates.issue_certificate(registration=completer, by=persona(key))
    assert not Certificate.objects.filter(registration=completer).exists()


# ---------------------------------------------------------------------------
# Revoking and finding


def test_revoking_needs_a_reason_and_happens_once(certificate, persona):
    with pytest.raises(ValidationError, match="Give the reason"):
        certificates.revoke_certificate(certificate=certificate, reason="  ", by=persona("delegate.safi"))
    certificate.refresh_from_db()
    assert not certificate.revoked
    certificates.revoke_certificate(
        certificate=certificate, reason="Feuille falsifiée", by=persona("delegate.safi")
    )
    certificate.refresh_from_db()
    assert certificate.revoked and certificate.revocation_reason == "Feuille falsifiée"
    assert certificate.revoked_by == persona("delegate.safi")
    with pytest.raises(ValidationError, match="already revoked"):
        certificates.revoke_certificate(certificate=certificate, reason="encore", by=persona("manager"))


@pytest.mark.parametrize("key", ["trainer", "delegate.guelmim", "cooperative"])
def test_revoking_belongs_to_those_who_plan(certificate, persona, key):
    with pytest.raises(PermissionDenied):
        certificates.revoke_certificate(certificate=certificate, reason="erreur", by=persona(key))


def test_a_code_is_found_whatever_its_case_spaces_and_dashes(certificate):
    code = certificate.code
    assert certificates.find_certificate(f"  {code.lower()} ") == certificate
    assert certificates.find_certificate(f"{code[:5]}-{code[5:]}") == certificate
    assert certificates.find_certificate("") is None
    assert certificates.find_certificate("X" * 200) is None


# ---------------------------------------------------------------------------
# The public verification page


def anonymous(language: str = "en") -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def main_of(response) -> str:
    """The page's own content (the layout around it repeats the address in the language switch)."""
    page = response.content.decode()
    return page[page.index('<main id="main"') : page.index("</main>")]


def test_the_verification_page_confirms_a_valid_certificate_and_nothing_more(certificate):
    member = certificate.registration.member
    member.cin, member.phone = "ZZ998877", "0661234567"
    member.save()
    response = anonymous().get(reverse("verify_certificate", args=[certificate.code]))
    assert response.status_code == 200
    page = response.content.decode()
    module = certificate.registration.session.module
    for shown in ("Fatima Zahra Alaoui", escape(module.name_fr), "Valid", "Dec. 7, 2026", "Dec. 8, 2026"):
        assert shown in page
    cooperative = member.cooperative
    for hidden in (
        "ZZ998877",
        "0661234567",
        cooperative.name_fr,
        cooperative.registration_number,
        "Maison des",
    ):
        assert hidden not in page


def test_the_verification_page_speaks_french_and_arabic(certificate):
    french = anonymous("fr").get(reverse("verify_certificate", args=[certificate.code])).content.decode()
    module = certificate.registration.session.module
    assert escape(module.name_fr) in french and 'lang="fr"' in french
    arabic = anonymous("ar").get(reverse("verify_certificate", args=[certificate.code])).content.decode()
    assert escape(module.name_ar) in arabic and 'dir="rtl"' in arabic


def test_a_revoked_certificate_shows_as_revoked_without_the_reason(certificate, persona):
    certificates.revoke_certificate(certificate=certificate, reason="Fraude constatée", by=persona("manager"))
    response = anonymous().get(reverse("verify_certificate", args=[certificate.code.lower()]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Revoked" in page and "was revoked on" in page
    assert "Fraude constatée" not in page and ">Valid<" not in page


def test_an_unknown_code_is_a_plain_404_without_hint(certificate):
    near_miss = certificate.code[:-1] + ("Z" if certificate.code[-1] != "Z" else "Y")
    for code in (near_miss, "NOPE", "<script>"):
        response = anonymous().get(reverse("verify_certificate", args=[code]))
        main = main_of(response)
        assert response.status_code == 404
        assert "No certificate has this code." in main
        assert certificate.holder_name not in main and code not in main


# ---------------------------------------------------------------------------
# The PDF


def test_the_verification_url_is_absolute_from_settings_or_the_request(certificate, settings, rf):
    settings.MOURAFAKA = {**settings.MOURAFAKA, "SITE_URL": "https://mourafaka.odco.ma/"}
    assert (
        certificates.verification_url(certificate) == f"https://mourafaka.odco.ma/verify/{certificate.code}/"
    )
    request = rf.get("/", HTTP_HOST="testserver")
    assert (
        certificates.verification_url(certificate, request) == f"http://testserver/verify/{certificate.code}/"
    )


def test_the_qr_code_encodes_the_verification_url(certificate, monkeypatch):
    encoded = []
    real = certificates.qr_svg
    monkeypatch.setattr(certificates, "qr_svg", lambda data: encoded.append(data) or real(data))
    context = certificates.certificate_context(certificate, "fr")
    assert encoded == [certificates.verification_url(certificate)]
    assert context["qr_src"] == certificates.svg_data_uri(real(encoded[0]))
    assert real(encoded[0]).startswith("<svg") and "<path" in real(encoded[0])


def test_the_french_pdf_holds_holder_module_dates_place_code_and_link(certificate):
    html = certificates.certificate_html(certificate, language="fr")
    assert 'dir="ltr"' in html and "A4 landscape" in html
    module = certificate.registration.session.module
    for shown in ("Fatima Zahra Alaoui", module.name_fr, "Maison des coopératives, Safi", "Marrakech-Safi"):
        assert escape(shown) in html
    assert certificate.code in html and certificates.verification_url(certificate) in html
    assert "data:image/svg+xml;base64," in html
    assert certificates.certificate_pdf(certificate, language="fr").startswith(b"%PDF")


def test_the_arabic_pdf_is_right_to_left(certificate):
    html = certificates.certificate_html(certificate, language="ar")
    module = certificate.registration.session.module
    assert 'dir="rtl"' in html and 'lang="ar"' in html and escape(module.name_ar) in html
    content = certificates.certificate_pdf(certificate, language="ar")
    assert content.startswith(b"%PDF")
    assert any(b"Noto-Naskh-Arabic" in name for name in pdf_font_names(content))


def test_a_revoked_certificate_says_so_on_its_pdf(certificate, persona):
    certificates.revoke_certificate(certificate=certificate, reason="erreur", by=persona("manager"))
    certificate.refresh_from_db()
    with translation.override("fr"):
        revoked = escape(translation.gettext("This certificate has been revoked."))
    assert revoked in certificates.certificate_html(certificate, language="fr")


# ---------------------------------------------------------------------------
# Pages: download and revoke, within scope


def pdf_url(certificate, language=None) -> str:
    url = reverse("trainings:certificate_pdf", args=[certificate.pk])
    return f"{url}?lang={language}" if language else url


@pytest.mark.parametrize("key", ["manager", "delegate.safi", "trainer", "cooperative"])
def test_those_in_scope_download_the_pdf(certificate, client_for, key):
    response = client_for(key).get(pdf_url(certificate, "ar"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert f"certificate-{certificate.code}-ar.pdf" in response["Content-Disposition"]


def test_the_pdf_comes_in_the_certificates_language_by_default(certificate, client_for):
    response = client_for("manager").get(pdf_url(certificate))
    assert f"-{certificate.language}.pdf" in response["Content-Disposition"]


@pytest.mark.parametrize("key", ["delegate.guelmim", "juror", "mentor", "observer"])
def test_a_certificate_out_of_scope_is_404(certificate, client_for, key):
    assert client_for(key).get(pdf_url(certificate)).status_code == 404
    assert (
        client_for(key)
        .post(reverse("trainings:certificate_revoke", args=[certificate.pk]), {"reason": "x"})
        .status_code
        == 404
    )


def test_the_cooperative_gets_only_its_own_members_certificates(session, certificate, client_for, persona):
    outsider = enrol(session, member=new_member("SAF-2021-0120"), present=2)
    other = certificates.issue_certificate(registration=outsider, by=persona("trainer"))
    cooperative = client_for("cooperative")
    assert cooperative.get(pdf_url(certificate)).status_code == 200
    assert cooperative.get(pdf_url(other)).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(certificate):
    response = Client().get(pdf_url(certificate))
    assert response.status_code == 302 and "login" in response["Location"]


def test_revoking_from_the_page(certificate, client_for):
    url = reverse("trainings:certificate_revoke", args=[certificate.pk])
    client = client_for("delegate.safi")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(url, {"reason": ""}, follow=False)
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert not certificate.revoked
    response = client.post(url, {"reason": "Présence contestée"})
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.revoked and certificate.revocation_reason == "Présence contestée"


def test_revoking_needs_post_and_the_right_to_plan(certificate, client_for):
    url = reverse("trainings:certificate_revoke", args=[certificate.pk])
    assert client_for("manager").get(url).status_code == 405
    assert client_for("trainer").post(url, {"reason": "x"}).status_code == 403
    certificate.refresh_from_db()
    assert not certificate.revoked
