from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.translation import check_for_language, get_supported_language_variant
from django.utils.translation.trans_real import get_language_from_request


def _supported(code: str | None) -> str | None:
    if code and check_for_language(code):
        try:
            return get_supported_language_variant(code)
        except LookupError:
            return None
    return None


class PreferredLanguageMiddleware(LocaleMiddleware):
    """French unless the person chose otherwise.

    The choice is read from the language cookie (this device), then from the account. Browsers'
    Accept-Language is ignored on pages, so that every office screen starts in French; API
    clients, which have no language switch, are answered in their Accept-Language.
    """

    def process_request(self, request):
        user = getattr(request, "user", None)
        language = _supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
        if language is None and user is not None and user.is_authenticated:
            language = _supported(user.language)
        if language is None and request.path.startswith("/api/"):
            language = get_language_from_request(request)
        language = language or settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
