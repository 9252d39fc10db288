"""SMS sending behind a pluggable backend (settings.SMS_BACKEND).

The console backend prints messages (development); the memory backend keeps them in `outbox`
(tests). A gateway backend for production implements `send(phone, text)`.
"""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)
outbox: list[tuple[str, str]] = []


class ConsoleBackend:
    def send(self, phone: str, text: str) -> None:
        print(f"SMS to {phone}: {text}")  # noqa: T201


class MemoryBackend:
    def send(self, phone: str, text: str) -> None:
        outbox.append((phone, text))


def send_sms(phone: str, text: str) -> None:
    if not phone:
        return
    backend = import_string(settings.SMS_BACKEND)()
    try:
        backend.send(phone, text)
    except Exception:  # a gateway failure must not break the page that triggered the message
        logger.exception("SMS to %s failed", phone)
