import pytest
from django.core import mail
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from mourafaka.core import sms
from mourafaka.core.models import Notification
from mourafaka.core.notifications import notify

pytestmark = pytest.mark.django_db


def test_notify_records_in_app_then_sends_mail_and_sms_after_commit(
    persona, django_capture_on_commit_callbacks
):
    coach = persona("coach")
    coach.language = "ar"
    coach.phone = "+212612345678"
    coach.save()
    sms.outbox.clear()
    Notification.objects.all().delete()  # the demo's own notices
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[coach, persona("manager")], title=_("Sign in"), link="/x/", sms=True)
    titles = dict(Notification.objects.values_list("user__email", "title"))
    assert titles["coach@demo.mourafaka.ma"] == "تسجيل الدخول"
    assert titles["manager@demo.mourafaka.ma"] == "Se connecter"
    assert len(mail.outbox) == 2
    assert sms.outbox == [("+212612345678", "تسجيل الدخول")]


def test_nothing_is_sent_when_the_transaction_does_not_commit(persona, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        notify(users=[persona("coach")], title=_("Sign in"))
    assert mail.outbox == []


def test_the_messages_page_shows_unread_count_and_marks_them_read(client_for, persona):
    notify(users=[persona("trainer")], title=_("Sign in"))
    client = client_for("trainer")
    assert '<span class="badge">1</span>' in client.get("/").content.decode()
    client.post(reverse("notifications"))
    assert '<span class="badge">' not in client.get(reverse("notifications")).content.decode()
