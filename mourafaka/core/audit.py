"""Reading the audit journal (django-auditlog) for the pages that show a record's history."""

from dataclasses import dataclass, field

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

ACTION_LABELS = {
    LogEntry.Action.CREATE: gettext_lazy("Created"),
    LogEntry.Action.UPDATE: gettext_lazy("Changed"),
    LogEntry.Action.DELETE: gettext_lazy("Deleted"),
    LogEntry.Action.ACCESS: gettext_lazy("Viewed"),
}


@dataclass
class Change:
    label: str
    before: str
    after: str


@dataclass
class HistoryEntry:
    action: str
    timestamp: object
    actor: object
    changes: list[Change] = field(default_factory=list)


def _shown(value) -> str:
    if value in (None, "None", ""):
        return "—"
    if value == "True":
        return _("Yes")
    if value == "False":
        return _("No")
    return str(value)


def _label(model, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except Exception:  # a field removed since the change was recorded
        return name


def _changes(entry: LogEntry) -> list[Change]:
    if entry.action != LogEntry.Action.UPDATE:
        return []  # a creation lists every field; the record page already shows them
    model = entry.content_type.model_class()
    display = entry.changes_display_dict or {}
    changes = []
    for name, values in (entry.changes_dict or {}).items():
        label = _label(model, name)
        if isinstance(values, dict):  # many-to-many: {"type": "m2m", "operation": "add", "objects": [...]}
            objects = ", ".join(str(value) for value in values.get("objects", []))
            added = values.get("operation") == "add"
            changes.append(Change(label, "" if added else objects, objects if added else ""))
            continue
        before, after = display.get(label, values)
        changes.append(Change(label, _shown(before), _shown(after)))
    return changes


def history_of(obj, *, limit: int = 50) -> list[HistoryEntry]:
    """The latest changes of one record, newest first, with their actor and readable values."""
    content_type = ContentType.objects.get_for_model(type(obj))
    entries = (
        LogEntry.objects.filter(content_type=content_type, object_pk=str(obj.pk))
        .select_related("actor", "content_type")
        .order_by("-timestamp")[:limit]
    )
    return [
        HistoryEntry(
            action=str(ACTION_LABELS.get(entry.action, entry.get_action_display())),
            timestamp=entry.timestamp,
            actor=entry.actor,
            changes=_changes(entry),
        )
        for entry in entries
    ]
