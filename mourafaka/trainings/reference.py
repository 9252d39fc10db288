"""The training catalogue and the satisfaction questionnaire, shipped as data (data/*.yaml)."""

from pathlib import Path

import yaml
from django.db import transaction

from mourafaka.diagnostics.models import Template
from mourafaka.diagnostics.services import load_template

from .models import Module, Registration

DATA = Path(__file__).parent / "data"
MODULES_FILE = DATA / "modules.yaml"
SATISFACTION_FILE = DATA / "satisfaction.yaml"

MODULE_FIELDS = (
    "theme",
    "audience",
    "name_fr",
    "name_ar",
    "objectives_fr",
    "objectives_ar",
    "duration_days",
    "hours_per_day",
    "material_fr",
    "material_ar",
)


def read_modules(path: Path = MODULES_FILE) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["modules"]


def load_modules(path: Path = MODULES_FILE) -> int:
    """Create or refresh the modules of the catalogue file, keyed by code; a module left unchanged is
    not saved again (nothing new in the audit journal). Modules absent from the file are kept."""
    rows = read_modules(path)
    existing = Module.objects.in_bulk([row["code"] for row in rows], field_name="code")
    for order, row in enumerate(rows, start=1):
        module = existing.get(row["code"]) or Module(code=row["code"])
        values = {name: row[name] for name in MODULE_FIELDS} | {"order": order * 10}
        if module.pk and all(getattr(module, name) == value for name, value in values.items()):
            continue
        for name, value in values.items():
            setattr(module, name, value)
        module.full_clean()
        module.save()
    return len(rows)


def load_satisfaction_template(path: Path = SATISFACTION_FILE) -> Template:
    """Create the questionnaire, or refresh it while no participant answered it (answered, it is never
    edited in place: a change to the file takes a new version number)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    existing = Template.objects.filter(code=data["code"], version=data.get("version", 1)).first()
    if existing is not None and Registration.objects.filter(satisfaction_template=existing).exists():
        return existing
    return load_template(data)


@transaction.atomic
def load_training_reference() -> dict[str, int]:
    """The catalogue of modules and the satisfaction questionnaire. Idempotent."""
    modules = load_modules()
    template = load_satisfaction_template()
    return {"training_modules": modules, "satisfaction_questions": template.questions.count()}
