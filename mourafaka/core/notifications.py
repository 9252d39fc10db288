"""One call for an event: `notify` records an in-app message for each person and, once the
transaction is committed, sends it by e-mail (and SMS when asked), in each person's language."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation

from .models import Notification
from .sms import send_sms


def _render(text, params: dict) -> str:
    return str(text) % params if params else str(text)


def notify(*, users, title, body="", link: str = "", params: dict | None = None, sms: bool = False) -> int:
    """Tell `users` about an event. `title`/`body` are (lazy) translatable strings with %(name)s
    placeholders filled from `params`; each person gets them in their own language."""
    params = params or {}
    messages = []
    for user in users:
        with translation.override(user.language or settings.LANGUAGE_CODE):
            messages.append((user, _render(title, params), _render(body, params)))
    Notification.objects.bulk_create(
        Notification(user=user, title=subject, body=text, link=link) for user, subject, text in messages
    )

    def send():
        for user, subject, text in messages:
            if user.email:
                send_mail(subject, f"{text}\n\n{link}".strip(), None, [user.email], fail_silently=True)
            if sms and user.phone:
                send_sms(user.phone, subject)

    transaction.on_commit(send)
    return len(messages)


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def mark_all_read(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
