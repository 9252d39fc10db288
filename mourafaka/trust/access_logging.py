"""Every page and API answer that shows members' CIN or phone numbers in clear is logged.

`PersonalDataAccessLogMiddleware` writes one `DataAccessLog` row (who, when, which page or
endpoint, with its filters: query string and URL arguments, and the number of records for the
API) for each successful answer of the views named in `PERSONAL_DATA_VIEWS`, when the user's role
reads CIN or phone numbers in clear (`policy.sees_personal_field`); roles that only see them masked
are not logged. Exports log themselves where they are built (`core.exports`, trust exports), and are
not listed here.

Enabled by adding "mourafaka.trust.access_logging.PersonalDataAccessLogMiddleware" to MIDDLEWARE
(after the authentication middleware). `tests/test_personal_data_logging.py` opens these pages and
endpoints as the roles that read them and checks the rows written.
"""

from mourafaka.accounts import policy
from mourafaka.core.exports import log_personal_data_access

#: URL names (as `resolver_match.view_name`) of the pages and endpoints listing members' CIN or phone.
PERSONAL_DATA_VIEWS = frozenset(
    {
        # Registry: members of a cooperative, one member, likely duplicates.
        "cooperatives:members:list",
        "cooperatives:members:detail",
        "cooperatives:duplicates:list",
        "member-list",
        "member-detail",
        # Training: the session page and the partials that list participants and candidates.
        "trainings:session",
        "trainings:propose",
        "trainings:invite",
        "trainings:remind",
        "trainings:participant_add",
        "trainings:participant_cancel",
        "trainings:participant_answer",
        "trainings:member_search",
        "trainings:attendance",
        "trainings:walk_in",
        "trainings:attendance_import",
        "training-registration-list",
        "training-registration-detail",
        "training-registration-answer",
        "training-registration-cancel",
        "training-session-propose",
        "training-session-invite",
        "training-session-remind",
        "training-session-walk-in",
        # Coaching: a visit with its report lists the members present (the list of visits does not).
        "coaching-visit-detail",
        "coaching-visit-draft",
        "coaching-visit-submit",
        "coaching-visit-acknowledge",
        "coaching-visit-acknowledge-with-code",
        "coaching-visit-cancel",
    }
)


def sees_in_clear(user) -> bool:
    return policy.sees_personal_field(user, "cin") or policy.sees_personal_field(user, "phone")


def _rows(response) -> int | None:
    data = getattr(response, "data", None)
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        return len(data["results"])
    if isinstance(data, list):
        return len(data)
    if isinstance(data, dict):
        return 1
    return None


def log_view(request, response, view_name: str) -> None:
    filters = {"path": request.path, "method": request.method}
    match = request.resolver_match
    filters.update({key: value for key, value in (match.kwargs or {}).items() if key != "format"})
    filters.update({key: value for key, value in request.GET.items() if key != "page"} if request.GET else {})
    if request.GET.get("page"):
        filters["page"] = request.GET["page"]
    log_personal_data_access(
        user=request.user, action=f"view:{view_name}", filters=filters, rows=_rows(response)
    )


class PersonalDataAccessLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if (
            match is not None
            and match.view_name in PERSONAL_DATA_VIEWS
            and 200 <= response.status_code < 300
            and policy.is_active(getattr(request, "user", None))
            and sees_in_clear(request.user)
        ):
            log_view(request, response, match.view_name)
        return response
