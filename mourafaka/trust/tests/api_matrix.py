"""The expected outcome of every API operation for every role: the matrix of the authorization sweep
(`test_api_sweep.py`). Every operation of the OpenAPI schema must have an entry here; the sweep fails,
naming it, for one that has none.

Reads (`Read`): which personas may call the operation at all (`allow`) and what the others get
(`denied`: 403, or "empty" when the list is emptied for them, or 404 when every record is hidden).
Among the allowed, a detail answers 200 for a record the policy lets the persona see and 404 for
the others; `expect` pins an outcome for one persona (or one persona and side, "in" / "out").

Writes (`Write`): the personas that may write for some record (`writers`). The sweep never runs an
allowed write with real data: it only checks that every other persona is refused (403/404/405 with
an empty body, never 2xx) and that the writers are refused on a record outside their scope (404).
"""

from dataclasses import dataclass, field

PERSONAS = (
    "admin",
    "manager",
    "delegate.safi",
    "delegate.guelmim",
    "consultant",
    "trainer",
    "coach",
    "cooperative",
    "juror",
    "mentor",
    "observer",
)
ANONYMOUS = "anonymous"

EVERYONE = frozenset(PERSONAS)
NATIONAL = frozenset({"admin", "manager"})
DELEGATES = frozenset({"delegate.safi", "delegate.guelmim"})
STAFF = NATIONAL | DELEGATES
JURY = NATIONAL | {"juror"}
NOBODY = frozenset()
#: The training catalogue is read by every role but partner observers (as on the pages).
CATALOGUE = EVERYONE - {"observer"}
#: The sweep's import runs have no file of refused rows: even their owner gets 404.
NO_REFUSED_FILE = dict.fromkeys(PERSONAS, 404)


@dataclass(frozen=True)
class Read:
    """A GET. `resource` fills the path's {id} (None: a list or a plain endpoint)."""

    resource: str | None = None
    list: bool = False  # returns records, checked against Model.objects.visible_to(user)
    model: str | None = None  # "app.Model" of the listed records (default: from the view)
    allow: frozenset = EVERYONE
    denied: int | str = 403  # 403, 404, or "empty" (a 200 with no record)
    expect: dict = field(default_factory=dict)
    # "region": a delegate must name a region of its own delegation; another name: the resource's
    # record is passed as that query parameter (the path has no {id})
    query: str | None = None
    paginated: bool = True


@dataclass(frozen=True)
class Write:
    """A POST / PUT / PATCH / DELETE. `resource` fills {id} (None: a create)."""

    resource: str | None = None
    writers: frozenset = NOBODY


def op(method: str, path: str) -> str:
    return f"{method} {path}"


A = "/api/v1"

MATRIX: dict[str, Read | Write] = {
    # -- Identity -------------------------------------------------------------------------------
    op("GET", f"{A}/me/"): Read(paginated=False),
    # -- Territory reference (public to every signed-in user) -----------------------------------
    op("GET", f"{A}/regions/"): Read(list=True),
    op("GET", f"{A}/regions/{{id}}/"): Read("region"),
    op("GET", f"{A}/provinces/"): Read(list=True),
    op("GET", f"{A}/provinces/{{id}}/"): Read("province"),
    op("GET", f"{A}/delegations/"): Read(list=True),
    op("GET", f"{A}/delegations/{{id}}/"): Read("delegation"),
    # -- Programmes and editions (shared configuration) -----------------------------------------
    op("GET", f"{A}/programmes/"): Read(list=True),
    op("POST", f"{A}/programmes/"): Write(writers=NATIONAL),
    op("GET", f"{A}/programmes/{{id}}/"): Read("programme"),
    op("PUT", f"{A}/programmes/{{id}}/"): Write("programme", NATIONAL),
    op("PATCH", f"{A}/programmes/{{id}}/"): Write("programme", NATIONAL),
    op("DELETE", f"{A}/programmes/{{id}}/"): Write("programme", NATIONAL),
    op("GET", f"{A}/editions/"): Read(list=True),
    op("POST", f"{A}/editions/"): Write(writers=NATIONAL),
    op("GET", f"{A}/editions/{{id}}/"): Read("edition"),
    op("PUT", f"{A}/editions/{{id}}/"): Write("edition", NATIONAL),
    op("PATCH", f"{A}/editions/{{id}}/"): Write("edition", NATIONAL),
    op("DELETE", f"{A}/editions/{{id}}/"): Write("edition", NATIONAL),
    # -- Registry: cooperatives, members, documents, duplicates, imports -------------------------
    op("GET", f"{A}/cooperatives/"): Read(list=True),
    op("POST", f"{A}/cooperatives/"): Write(writers=STAFF),
    op("GET", f"{A}/cooperatives/{{id}}/"): Read("cooperative"),
    op("PUT", f"{A}/cooperatives/{{id}}/"): Write("cooperative", STAFF | {"cooperative"}),
    op("PATCH", f"{A}/cooperatives/{{id}}/"): Write("cooperative", STAFF | {"cooperative"}),
    op("DELETE", f"{A}/cooperatives/{{id}}/"): Write("cooperative", NATIONAL),
    op("GET", f"{A}/members/"): Read(list=True),
    op("POST", f"{A}/members/"): Write(writers=STAFF | {"cooperative"}),
    op("GET", f"{A}/members/{{id}}/"): Read("member"),
    op("PUT", f"{A}/members/{{id}}/"): Write("member", STAFF | {"cooperative"}),
    op("PATCH", f"{A}/members/{{id}}/"): Write("member", STAFF | {"cooperative"}),
    op("GET", f"{A}/documents/"): Read(list=True),
    op("POST", f"{A}/documents/"): Write(writers=STAFF | {"cooperative"}),
    op("GET", f"{A}/documents/{{id}}/"): Read("document"),
    op("DELETE", f"{A}/documents/{{id}}/"): Write("document", STAFF | {"cooperative"}),
    op("GET", f"{A}/documents/{{id}}/download/"): Read("document"),
    op("GET", f"{A}/duplicates/"): Read(list=True, allow=STAFF, denied="empty"),
    op("GET", f"{A}/duplicates/{{id}}/"): Read("duplicate", allow=STAFF, denied=404),
    op("POST", f"{A}/duplicates/{{id}}/dismiss/"): Write("duplicate", STAFF),
    op("POST", f"{A}/duplicates/{{id}}/merge/"): Write("duplicate", STAFF),
    op("GET", f"{A}/imports/"): Read(list=True),
    op("POST", f"{A}/imports/"): Write(writers=STAFF),
    op("GET", f"{A}/imports/{{id}}/"): Read("import"),
    op("POST", f"{A}/imports/{{id}}/commit/"): Write("import", STAFF),
    op("GET", f"{A}/imports/{{id}}/refused/"): Read("import", expect=NO_REFUSED_FILE),
    # -- Personal data (law 09-08): access request and erasure ----------------------------------
    op("GET", f"{A}/personal-data/members/{{id}}/export/"): Read("member", allow=STAFF, paginated=False),
    op("POST", f"{A}/personal-data/members/{{id}}/anonymise/"): Write("member", NATIONAL),
    # -- Calls for applications ---------------------------------------------------------------
    op("GET", f"{A}/calls/"): Read(list=True),
    op("POST", f"{A}/calls/"): Write(writers=NATIONAL),
    op("GET", f"{A}/calls/{{id}}/"): Read("call"),
    op("PUT", f"{A}/calls/{{id}}/"): Write("call", NATIONAL),
    op("PATCH", f"{A}/calls/{{id}}/"): Write("call", NATIONAL),
    op("POST", f"{A}/calls/{{id}}/assign-reviewers/"): Write("call", NATIONAL),
    op("POST", f"{A}/calls/{{id}}/compute-ranking/"): Write("call", NATIONAL),
    op("POST", f"{A}/calls/{{id}}/run-eligibility/"): Write("call", NATIONAL),
    op("GET", f"{A}/applications/"): Read(list=True),
    op("POST", f"{A}/applications/"): Write(writers=STAFF | {"cooperative"}),
    op("GET", f"{A}/applications/{{id}}/"): Read("application"),
    op("POST", f"{A}/applications/{{id}}/conflict/"): Write("application", JURY),
    op("POST", f"{A}/applications/{{id}}/scores/"): Write("application", JURY),
    op("GET", f"{A}/rankings/"): Read(list=True, allow=STAFF, denied="empty"),
    op("GET", f"{A}/rankings/{{id}}/"): Read("ranking", allow=STAFF, denied=404),
    op("POST", f"{A}/rankings/{{id}}/freeze/"): Write("ranking", NATIONAL),
    op("POST", f"{A}/rankings/{{id}}/publish/"): Write("ranking", NATIONAL),
    op("GET", f"{A}/appeals/"): Read(list=True),
    op("POST", f"{A}/appeals/"): Write(writers=STAFF | {"cooperative"}),
    op("GET", f"{A}/appeals/{{id}}/"): Read("appeal"),
    op("POST", f"{A}/appeals/{{id}}/decide/"): Write("appeal", NATIONAL),
    # -- Diagnostics and plans ----------------------------------------------------------------
    op("GET", f"{A}/questionnaire-templates/"): Read(list=True),
    op("GET", f"{A}/questionnaire-templates/{{id}}/"): Read("template"),
    op("GET", f"{A}/questionnaire-templates/{{id}}/xlsx/"): Read("template", allow=NATIONAL),
    op("POST", f"{A}/questionnaire-templates/import/"): Write(writers=NATIONAL),
    op("GET", f"{A}/diagnostics/"): Read(list=True),
    op("POST", f"{A}/diagnostics/"): Write(writers=STAFF),
    op("GET", f"{A}/diagnostics/{{id}}/"): Read("diagnostic"),
    op("PUT", f"{A}/diagnostics/{{id}}/answers/{{question_code}}/"): Write("diagnostic", {"consultant"}),
    op("GET", f"{A}/diagnostics/{{id}}/attachments/"): Read("diagnostic", paginated=False),
    op("POST", f"{A}/diagnostics/{{id}}/attachments/"): Write("diagnostic", {"consultant"}),
    op("GET", f"{A}/diagnostics/{{id}}/progression/"): Read("diagnostic_month_12"),
    op("GET", f"{A}/diagnostics/{{id}}/report/"): Read("diagnostic"),
    op("POST", f"{A}/diagnostics/{{id}}/return/"): Write("diagnostic", DELEGATES),
    op("GET", f"{A}/diagnostics/{{id}}/scores/"): Read("diagnostic"),
    op("POST", f"{A}/diagnostics/{{id}}/submit/"): Write("diagnostic", {"consultant"}),
    op("POST", f"{A}/diagnostics/{{id}}/validate/"): Write("diagnostic", DELEGATES),
    op("GET", f"{A}/capacity-plan-items/"): Read(list=True),
    op("POST", f"{A}/capacity-plan-items/"): Write(writers={"consultant"}),
    op("GET", f"{A}/capacity-plan-items/{{id}}/"): Read("capacity_item"),
    op("PATCH", f"{A}/capacity-plan-items/{{id}}/"): Write("capacity_item", {"consultant"}),
    op("DELETE", f"{A}/capacity-plan-items/{{id}}/"): Write("capacity_item", {"consultant"}),
    op("POST", f"{A}/capacity-plan-items/propose/{{diagnostic_pk}}/"): Write("diagnostic", {"consultant"}),
    op("GET", f"{A}/development-actions/"): Read(list=True),
    op("POST", f"{A}/development-actions/"): Write(writers={"consultant"}),
    op("GET", f"{A}/development-actions/{{id}}/"): Read("development_action"),
    op("PUT", f"{A}/development-actions/{{id}}/"): Write("development_action", {"consultant"}),
    op("PATCH", f"{A}/development-actions/{{id}}/"): Write("development_action", {"consultant"}),
    op("DELETE", f"{A}/development-actions/{{id}}/"): Write("development_action", {"consultant"}),
    op("POST", f"{A}/development-actions/{{id}}/progress/"): Write(
        "development_action", STAFF | {"consultant", "coach"}
    ),
    # -- Group training -----------------------------------------------------------------------
    op("GET", f"{A}/training-modules/"): Read(list=True, allow=CATALOGUE),
    op("POST", f"{A}/training-modules/"): Write(writers=NATIONAL),
    op("GET", f"{A}/training-modules/{{id}}/"): Read("module", allow=CATALOGUE),
    op("PUT", f"{A}/training-modules/{{id}}/"): Write("module", NATIONAL),
    op("PATCH", f"{A}/training-modules/{{id}}/"): Write("module", NATIONAL),
    op("GET", f"{A}/training-modules/{{id}}/averages/"): Read("module", allow=CATALOGUE),
    op("GET", f"{A}/trainers/"): Read(list=True),
    op("POST", f"{A}/trainers/"): Write(writers=STAFF),
    op("GET", f"{A}/trainers/{{id}}/"): Read("trainer"),
    op("PUT", f"{A}/trainers/{{id}}/"): Write("trainer", STAFF),
    op("PATCH", f"{A}/trainers/{{id}}/"): Write("trainer", STAFF),
    op("GET", f"{A}/training-sessions/"): Read(list=True),
    op("POST", f"{A}/training-sessions/"): Write(writers=STAFF),
    op("GET", f"{A}/training-sessions/{{id}}/"): Read("session"),
    op("PUT", f"{A}/training-sessions/{{id}}/"): Write("session", STAFF),
    op("PATCH", f"{A}/training-sessions/{{id}}/"): Write("session", STAFF),
    op("GET", f"{A}/training-sessions/{{id}}/averages/"): Read("session"),
    op("POST", f"{A}/training-sessions/{{id}}/invite/"): Write("session", STAFF),
    op("POST", f"{A}/training-sessions/{{id}}/issue-certificates/"): Write("session", STAFF | {"trainer"}),
    op("GET", f"{A}/training-sessions/{{id}}/progress/"): Read("session", paginated=False),
    op("POST", f"{A}/training-sessions/{{id}}/propose/"): Write("session", STAFF),
    op("POST", f"{A}/training-sessions/{{id}}/remind/"): Write("session", STAFF),
    op("POST", f"{A}/training-sessions/{{id}}/status/"): Write("session", STAFF),
    op("POST", f"{A}/training-sessions/{{id}}/walk-in/"): Write("session", STAFF | {"trainer"}),
    op("GET", f"{A}/training-registrations/"): Read(list=True),
    op("POST", f"{A}/training-registrations/"): Write(writers=STAFF),
    op("GET", f"{A}/training-registrations/{{id}}/"): Read("registration"),
    op("POST", f"{A}/training-registrations/{{id}}/answer/"): Write("registration", STAFF | {"cooperative"}),
    op("POST", f"{A}/training-registrations/{{id}}/cancel/"): Write("registration", STAFF),
    op("POST", f"{A}/training-registrations/{{id}}/satisfaction/"): Write(
        "registration", STAFF | {"trainer"}
    ),
    op("POST", f"{A}/training-registrations/{{id}}/scores/"): Write("registration", STAFF | {"trainer"}),
    op("GET", f"{A}/training-attendance/"): Read(list=True),
    op("POST", f"{A}/training-attendance/"): Write(writers=STAFF | {"trainer"}),
    op("GET", f"{A}/training-attendance/{{id}}/"): Read("attendance"),
    op("PUT", f"{A}/training-attendance/{{id}}/"): Write("attendance", STAFF | {"trainer"}),
    op("PATCH", f"{A}/training-attendance/{{id}}/"): Write("attendance", STAFF | {"trainer"}),
    op("GET", f"{A}/training-certificates/"): Read(list=True),
    op("POST", f"{A}/training-certificates/"): Write(writers=STAFF | {"trainer"}),
    op("GET", f"{A}/training-certificates/{{id}}/"): Read("certificate"),
    op("GET", f"{A}/training-certificates/{{id}}/pdf/"): Read("certificate"),
    op("POST", f"{A}/training-certificates/{{id}}/revoke/"): Write("certificate", STAFF),
    op("GET", f"{A}/training-counts/"): Read(allow=STAFF, query="region", paginated=False),
    # -- Individual coaching ------------------------------------------------------------------
    op("GET", f"{A}/coaches/"): Read(list=True),
    op("GET", f"{A}/coaches/{{id}}/"): Read("coach"),
    op("GET", f"{A}/coaching-engagements/"): Read(list=True),
    op("POST", f"{A}/coaching-engagements/"): Write(writers=STAFF),
    op("GET", f"{A}/coaching-engagements/{{id}}/"): Read("engagement"),
    op("POST", f"{A}/coaching-engagements/{{id}}/reassign/"): Write("engagement", STAFF),
    op("GET", f"{A}/coaching-engagements/{{id}}/suggestions/"): Read(
        "engagement", allow=STAFF, paginated=False
    ),
    op("GET", f"{A}/coaching-suggestions/"): Read("enrolment", allow=STAFF, query="enrolment"),
    op("GET", f"{A}/coaching-overdue/"): Read(
        list=True, model="coaching.Visit", allow=STAFF | {"coach"}, paginated=False
    ),
    op("GET", f"{A}/coaching-overdue/counts/"): Read(allow=STAFF, paginated=False),
    op("GET", f"{A}/coaching-counts/"): Read(allow=STAFF, query="region", paginated=False),
    op("GET", f"{A}/coaching-visits/"): Read(list=True),
    op("POST", f"{A}/coaching-visits/"): Write(writers=STAFF),
    op("GET", f"{A}/coaching-visits/{{id}}/"): Read("visit"),
    op("PATCH", f"{A}/coaching-visits/{{id}}/"): Write("visit", STAFF | {"coach"}),
    op("POST", f"{A}/coaching-visits/{{id}}/acknowledge/"): Write("visit", {"cooperative"}),
    op("POST", f"{A}/coaching-visits/{{id}}/acknowledge-with-code/"): Write("visit", {"coach"}),
    op("GET", f"{A}/coaching-visits/{{id}}/attachments/"): Read("visit", paginated=False),
    op("POST", f"{A}/coaching-visits/{{id}}/attachments/"): Write("visit", {"coach"}),
    op("POST", f"{A}/coaching-visits/{{id}}/cancel/"): Write("visit", STAFF),
    op("POST", f"{A}/coaching-visits/{{id}}/draft/"): Write("visit", {"coach"}),
    op("POST", f"{A}/coaching-visits/{{id}}/send-code/"): Write("visit", {"coach"}),
    op("POST", f"{A}/coaching-visits/{{id}}/submit/"): Write("visit", {"coach"}),
    op("GET", f"{A}/providers/"): Read(list=True),
    op("POST", f"{A}/providers/"): Write(writers=NATIONAL),
    op("GET", f"{A}/providers/{{id}}/"): Read("provider"),
    op("PUT", f"{A}/providers/{{id}}/"): Write("provider", NATIONAL),
    op("PATCH", f"{A}/providers/{{id}}/"): Write("provider", NATIONAL),
    op("POST", f"{A}/providers/{{id}}/staff/"): Write("provider", NATIONAL),
    op("DELETE", f"{A}/providers/{{id}}/staff/{{staff_pk}}/"): Write("provider", NATIONAL),
    op("GET", f"{A}/contracts/"): Read(list=True),
    op("POST", f"{A}/contracts/"): Write(writers=NATIONAL),
    op("GET", f"{A}/contracts/{{id}}/"): Read("contract"),
    op("PUT", f"{A}/contracts/{{id}}/"): Write("contract", NATIONAL),
    op("PATCH", f"{A}/contracts/{{id}}/"): Write("contract", NATIONAL),
    op("POST", f"{A}/contracts/{{id}}/collect/"): Write("contract", NATIONAL),
    op("GET", f"{A}/contracts/{{id}}/statement/"): Read("contract"),
    op("GET", f"{A}/deliverables/"): Read(list=True),
    op("GET", f"{A}/deliverables/{{id}}/"): Read("deliverable"),
    op("POST", f"{A}/deliverables/review/"): Write(writers=NATIONAL),
    # -- Project financing --------------------------------------------------------------------
    op("GET", f"{A}/financing-rounds/"): Read(list=True),
    op("POST", f"{A}/financing-rounds/"): Write(writers=NATIONAL),
    op("GET", f"{A}/financing-rounds/{{id}}/"): Read("round"),
    op("PATCH", f"{A}/financing-rounds/{{id}}/"): Write("round", NATIONAL),
    op("POST", f"{A}/financing-rounds/{{id}}/allocate/"): Write("round", NATIONAL),
    op("POST", f"{A}/financing-rounds/{{id}}/committee/"): Write("round", NATIONAL),
    op("POST", f"{A}/financing-rounds/{{id}}/eligibility/"): Write("round", NATIONAL),
    op("GET", f"{A}/financing-rounds/{{id}}/results/"): Read("round", allow=STAFF),
    op("GET", f"{A}/financing-rounds/{{id}}/summary/"): Read("round", allow=STAFF),
    op("GET", f"{A}/financing-proposals/"): Read(list=True),
    op("POST", f"{A}/financing-proposals/"): Write(writers=STAFF | {"cooperative", "coach"}),
    op("GET", f"{A}/financing-proposals/{{id}}/"): Read("proposal"),
    op("PATCH", f"{A}/financing-proposals/{{id}}/"): Write("proposal", STAFF | {"cooperative", "coach"}),
    op("POST", f"{A}/financing-proposals/{{id}}/conflict/"): Write("proposal", JURY),
    op("POST", f"{A}/financing-proposals/{{id}}/documents/"): Write(
        "proposal", STAFF | {"cooperative", "coach"}
    ),
    op("DELETE", f"{A}/financing-proposals/{{id}}/documents/{{document_pk}}/"): Write(
        "proposal", STAFF | {"cooperative", "coach"}
    ),
    op("GET", f"{A}/financing-proposals/{{id}}/scores/"): Read("proposal", allow=JURY, paginated=False),
    op("POST", f"{A}/financing-proposals/{{id}}/scores/"): Write("proposal", JURY),
    op("POST", f"{A}/financing-proposals/{{id}}/submit/"): Write(
        "proposal", STAFF | {"cooperative", "coach"}
    ),
    op("POST", f"{A}/financing-proposals/{{id}}/withdraw/"): Write(
        "proposal", STAFF | {"cooperative", "coach"}
    ),
    op("GET", f"{A}/financing-allocations/"): Read(list=True, allow=STAFF, denied="empty"),
    op("GET", f"{A}/financing-allocations/{{id}}/"): Read("allocation", allow=STAFF, denied=404),
    op("POST", f"{A}/financing-allocations/{{id}}/freeze/"): Write("allocation", NATIONAL),
    op("GET", f"{A}/financing-allocations/{{id}}/minutes/"): Read(
        "allocation", allow=NATIONAL, denied=404, expect=dict.fromkeys(DELEGATES, 403)
    ),
    op("GET", f"{A}/financing-overrides/"): Read(list=True, allow=STAFF, denied="empty"),
    op("POST", f"{A}/financing-overrides/"): Write(writers=NATIONAL),
    op("GET", f"{A}/financing-overrides/{{id}}/"): Read("override", allow=STAFF, denied=404),
    op("DELETE", f"{A}/financing-overrides/{{id}}/"): Write("override", NATIONAL),
    op("GET", f"{A}/financing-agreements/"): Read(list=True),
    op("GET", f"{A}/financing-agreements/{{id}}/"): Read("agreement"),
    op("POST", f"{A}/financing-agreements/{{id}}/documents/"): Write(
        "agreement", STAFF | {"cooperative", "coach"}
    ),
    op("DELETE", f"{A}/financing-agreements/{{id}}/documents/{{document_pk}}/"): Write(
        "agreement", STAFF | {"cooperative", "coach"}
    ),
    op("POST", f"{A}/financing-agreements/{{id}}/sign/"): Write("agreement", NATIONAL),
    op("POST", f"{A}/financing-agreements/{{id}}/terminate/"): Write("agreement", NATIONAL),
    op("GET", f"{A}/financing-disbursements/"): Read(list=True),
    op("POST", f"{A}/financing-disbursements/"): Write(writers=NATIONAL),
    op("GET", f"{A}/financing-disbursements/{{id}}/"): Read("disbursement"),
    op("GET", f"{A}/financing-milestones/"): Read(list=True),
    op("POST", f"{A}/financing-milestones/"): Write(writers=STAFF),
    op("GET", f"{A}/financing-milestones/{{id}}/"): Read("milestone"),
    op("PATCH", f"{A}/financing-milestones/{{id}}/"): Write("milestone", STAFF),
    op("POST", f"{A}/financing-milestones/{{id}}/confirm/"): Write("milestone", STAFF | {"coach"}),
    op("POST", f"{A}/financing-milestones/{{id}}/report/"): Write(
        "milestone", STAFF | {"cooperative", "coach"}
    ),
    op("GET", f"{A}/financing-follow-ups/"): Read(list=True),
    op("POST", f"{A}/financing-follow-ups/"): Write(writers=STAFF | {"cooperative", "coach"}),
    op("GET", f"{A}/financing-follow-ups/{{id}}/"): Read("follow_up"),
}
