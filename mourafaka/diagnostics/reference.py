"""The default Mourafaka questionnaire, shipped as data (data/mourafaka_diagnostic.yaml)."""

from pathlib import Path

import yaml

from .models import Template
from .services import load_template

DEFAULT_TEMPLATE = Path(__file__).parent / "data" / "mourafaka_diagnostic.yaml"


def read_template_file(path: Path = DEFAULT_TEMPLATE) -> dict:
    """The template data with each question's need codes replaced by the needs themselves."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    catalogue = data.pop("needs", {})
    for axis in data["axes"]:
        for question in axis["questions"]:
            question["needs"] = [{"code": code, **catalogue[code]} for code in question.get("needs", [])]
    return data


def load_default_template() -> Template:
    """Create the default template, or refresh it while no diagnostic uses it. Idempotent."""
    return load_template(read_template_file())
