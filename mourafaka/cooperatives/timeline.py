"""The timeline of a cooperative: everything the platform knows about it, as dated events.

Each source is a function `source(cooperative, *, limit) -> Iterable[Event]` that costs a fixed
number of queries, whatever the size of the cooperative. Later features (applications,
diagnostics, trainings, visits…) add theirs with `@timeline_source`:

    from mourafaka.cooperatives.timeline import Event, timeline_source

    @timeline_source
    def applications(cooperative, *, limit):
        for application in cooperative.applications.order_by("-submitted_at")[:limit]:
            yield Event(at=application.submitted_at, kind="application", title=...)

Register sources from an `AppConfig.ready()` so they are known before the first page.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import DateField
from django.db.models.functions import Coalesce, TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mourafaka.core.audit import ACTION_LABELS
from mourafaka.core.audit import _changes as changes_of

from .models import Cooperative, CooperativeDocument, DuplicateCandidate, Member

#: Key of the audit-journal change written when a duplicate record is merged into this one.
MERGE_KEY = "merged_record"


@dataclass(frozen=True)
class Event:
    at: dt.datetime | dt.date
    kind: str
    title: str
    detail: str = ""
    actor: object = None
    url: str = ""
    details: list[str] = field(default_factory=list)

    @property
    def has_time(self) -> bool:
        return isinstance(self.at, dt.datetime)

    @property
    def sort_key(self) -> dt.datetime:
        if isinstance(self.at, dt.datetime):
            return self.at
        # A day without a time sorts at its end, after what was recorded that day.
        end_of_day = dt.datetime.combine(self.at, dt.time.max)
        return timezone.make_aware(end_of_day, timezone.get_current_timezone())


Source = Callable[..., Iterable[Event]]
SOURCES: list[Source] = []


def timeline_source(function: Source) -> Source:
    if function not in SOURCES:
        SOURCES.append(function)
    return function


def timeline_for(cooperative: Cooperative, *, limit: int = 30) -> list[Event]:
    """The latest `limit` events of every source, newest first."""
    events = [event for source in SOURCES for event in source(cooperative, limit=limit)]
    events.sort(key=lambda event: event.sort_key, reverse=True)
    return events[:limit]


def merged_into(model, pk: int) -> list[int]:
    """The pks of the records of `model` merged into record `pk` (their journal is part of its own)."""
    kind = DuplicateCandidate.Kind.COOPERATIVE if model is Cooperative else DuplicateCandidate.Kind.MEMBER
    return [
        int(dropped)
        for dropped in DuplicateCandidate.objects.filter(
            kind=kind, status=DuplicateCandidate.Status.MERGED, reasons__kept=pk
        ).values_list("reasons__dropped", flat=True)
        if dropped is not None
    ]


def journal_of(model, pks: list[int], *, limit: int) -> list[tuple[LogEntry, list]]:
    """The latest audit entries of several records of one model (one query), with their changes."""
    entries = (
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model), object_pk__in=[str(pk) for pk in pks]
        )
        .select_related("actor", "content_type")
        .order_by("-timestamp")[:limit]
    )
    return [(entry, changes_of(entry)) for entry in entries]


@timeline_source
def audit_journal(cooperative: Cooperative, *, limit: int) -> Iterable[Event]:
    """Creation and changes of the cooperative record, and of the records merged into it."""
    for entry, changes in journal_of(
        Cooperative, [cooperative.pk, *merged_into(Cooperative, cooperative.pk)], limit=limit
    ):
        merges = [change for change in changes if change.label == MERGE_KEY]
        if merges:
            for change in merges:
                yield Event(
                    at=entry.timestamp,
                    kind="merge",
                    title=_("A duplicate record was merged into this one"),
                    detail=change.before,
                    actor=entry.actor,
                )
            continue
        action = str(ACTION_LABELS.get(entry.action, entry.get_action_display()))
        if changes:
            title = _("Record changed")
        elif entry.action == LogEntry.Action.CREATE:
            title = _("Registered on the platform")
        else:
            title = action
        detail = ""
        if entry.object_pk != str(cooperative.pk):
            detail = _("On the merged record %(record)s") % {"record": entry.object_repr}
        yield Event(
            at=entry.timestamp,
            kind="record",
            title=title,
            detail=detail,
            actor=entry.actor,
            details=[change.label for change in changes],
        )


@timeline_source
def member_movements(cooperative: Cooperative, *, limit: int) -> Iterable[Event]:
    """Members joining (their date joined, or the day they were recorded) and leaving."""
    members = (
        Member.objects.filter(cooperative=cooperative)
        .annotate(joined=Coalesce("joined_date", TruncDate("created_at"), output_field=DateField()))
        .only("pk", "full_name_fr", "full_name_ar", "joined_date", "created_at")
        .order_by("-joined", "-pk")[:limit]
    )
    for member in members:
        yield Event(
            at=member.joined,
            kind="member_joined",
            title=_("%(name)s joined the cooperative") % {"name": member.full_name},
            url=reverse("cooperatives:members:detail", args=[member.pk]),
        )
    # A member leaves when the `active` flag is switched off: the audit journal dates it.
    departures = (
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Member),
            object_id__in=Member.objects.filter(cooperative=cooperative).values("pk"),
            action=LogEntry.Action.UPDATE,
            changes__has_key="active",
        )
        .select_related("actor")
        .order_by("-timestamp")[:limit]
    )
    for entry in departures:
        before, after = (entry.changes_dict.get("active") or [None, None])[:2]
        if str(after) == "False":
            title = _("%(name)s left the cooperative")
        elif str(after) == "True" and str(before) == "False":
            title = _("%(name)s came back to the cooperative")
        else:
            continue
        yield Event(
            at=entry.timestamp,
            kind="member_left" if str(after) == "False" else "member_back",
            title=title % {"name": entry.object_repr},
            actor=entry.actor,
            url=reverse("cooperatives:members:detail", args=[entry.object_id]),
        )


@timeline_source
def documents(cooperative: Cooperative, *, limit: int) -> Iterable[Event]:
    uploads = (
        CooperativeDocument.objects.filter(cooperative=cooperative)
        .select_related("uploaded_by")
        .order_by("-uploaded_at")[:limit]
    )
    for document in uploads:
        yield Event(
            at=document.uploaded_at,
            kind="document",
            title=_("Document uploaded: %(kind)s") % {"kind": document.get_kind_display()},
            detail=str(document),
            actor=document.uploaded_by,
            url=reverse("cooperatives:documents:download", args=[document.pk]),
        )


@timeline_source
def member_changes(cooperative: Cooperative, *, limit: int) -> Iterable[Event]:
    """Changes to the members' records (by the cooperative on its portal, or by the office)."""
    entries = (
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Member),
            object_id__in=Member.objects.filter(cooperative=cooperative).values("pk"),
            action=LogEntry.Action.UPDATE,
        )
        .select_related("actor", "content_type")
        .order_by("-timestamp")[:limit]
    )
    active_label = str(Member._meta.get_field("active").verbose_name)
    for entry in entries:
        url = reverse("cooperatives:members:detail", args=[entry.object_id])
        merged = (entry.changes_dict or {}).get(MERGE_KEY)
        if merged:
            yield Event(
                at=entry.timestamp,
                kind="merge",
                title=_("Two records of %(name)s were merged") % {"name": entry.object_repr},
                detail=str(merged[0]),
                actor=entry.actor,
                url=url,
            )
            continue
        changes = [change for change in changes_of(entry) if change.label != active_label]
        if not changes:
            continue  # leaving and coming back are told by `member_movements`
        yield Event(
            at=entry.timestamp,
            kind="member_changed",
            title=_("Member record changed: %(name)s") % {"name": entry.object_repr},
            actor=entry.actor,
            url=url,
            details=[change.label for change in changes],
        )
