"""Questionnaire templates as spreadsheets (XLSForm-like), so head office edits them without a developer.

The workbook has five sheets:

* settings: code, title_fr, title_ar (and the version, for information);
* axes: code, name_fr, name_ar, weight, in the order of the questionnaire;
* questions: axis, code, type, text_fr, text_ar, weight, required, target, min, max,
  need_threshold, needs (need codes separated by spaces), choices (the name of a list of the
  choices sheet, the question code by default);
* choices: list, code, label_fr, label_ar, score (0 to 1);
* needs: code, kind (training or coaching), label_fr, label_ar.

An imported workbook becomes a NEW draft version of the template with the same code (version 1 of
a new template when the code is unknown). Every row is checked first; one problem refuses the whole
file with the list of problems, row by row, and nothing is saved.
"""

import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from openpyxl import Workbook, load_workbook

from mourafaka.accounts import policy
from mourafaka.core.spreadsheets import FORMULA_PREFIXES, safe_cell
from mourafaka.core.text import fold_digits
from mourafaka.core.values import InvalidValue, is_blank, parse_bool, split_list, text

from .models import Question, Template
from .services import load_template

SETTINGS_COLUMNS = ["code", "title_fr", "title_ar", "version"]
AXIS_COLUMNS = ["code", "name_fr", "name_ar", "weight"]
QUESTION_COLUMNS = [
    "axis", "code", "type", "text_fr", "text_ar", "weight", "required", "target", "min", "max",
    "need_threshold", "needs", "choices",
]  # fmt: skip
CHOICE_COLUMNS = ["list", "code", "label_fr", "label_ar", "score"]
NEED_COLUMNS = ["code", "kind", "label_fr", "label_ar"]
SHEETS = {
    "settings": SETTINGS_COLUMNS,
    "axes": AXIS_COLUMNS,
    "questions": QUESTION_COLUMNS,
    "choices": CHOICE_COLUMNS,
    "needs": NEED_COLUMNS,
}
NEED_KINDS = ("training", "coaching")
CODE = re.compile(r"^[-a-zA-Z0-9_]+$")
MAX_ROWS = 2000


# ---------------------------------------------------------------------------
# Export


def _number(value):
    return "" if value is None else float(value)


def template_rows(template: Template) -> dict[str, list[list]]:
    """The content of each sheet (header first) for `template`."""
    axes = list(template.axes.order_by("order", "code"))
    questions = list(template.questions.select_related("axis").order_by("axis__order", "order", "code"))
    needs: dict[str, dict] = {}
    choice_rows = []
    question_rows = []
    for question in questions:
        for need in question.needs:
            needs.setdefault(need["code"], need)
        list_name = question.code if question.choices else ""
        choice_rows += [
            [list_name, choice["code"], choice.get("label_fr", ""), choice.get("label_ar", ""),
             float(choice.get("score", 0))]
            for choice in question.choices
        ]  # fmt: skip
        question_rows.append(
            [
                question.axis.code, question.code, question.type, question.text_fr, question.text_ar,
                float(question.weight), "yes" if question.required else "no", _number(question.target),
                _number(question.min_value), _number(question.max_value), float(question.need_threshold),
                " ".join(need["code"] for need in question.needs), list_name,
            ]
        )  # fmt: skip
    return {
        "settings": [
            SETTINGS_COLUMNS,
            [template.code, template.title_fr, template.title_ar, template.version],
        ],
        "axes": [AXIS_COLUMNS]
        + [[axis.code, axis.name_fr, axis.name_ar, float(axis.weight)] for axis in axes],
        "questions": [QUESTION_COLUMNS] + question_rows,
        "choices": [CHOICE_COLUMNS] + choice_rows,
        "needs": [NEED_COLUMNS]
        + [
            [code, need.get("kind", ""), need.get("label_fr", ""), need.get("label_ar", "")]
            for code, need in sorted(needs.items())
        ],
    }


def export_template(template: Template) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in template_rows(template).items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append([safe_cell(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_filename(template: Template) -> str:
    return f"{template.code}-v{template.version}.xlsx"


# ---------------------------------------------------------------------------
# Import


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int | None
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return _("Sheet “%(sheet)s”: %(message)s") % {"sheet": self.sheet, "message": self.message}
        return _("Sheet “%(sheet)s”, row %(row)s: %(message)s") % {
            "sheet": self.sheet,
            "row": self.row,
            "message": self.message,
        }


class TemplateRefused(Exception):
    """The workbook cannot be imported; `problems` says why, row by row."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = problems


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    value = str(value)
    if value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
        value = value[1:]  # undo safe_cell
    return text(value)


def _decimal(value: str, *, low=None, high=None, above=None) -> Decimal | None:
    """A decimal number ("1,5" and Arabic-Indic digits accepted), within the bounds given."""
    value = fold_digits(value).replace(",", ".").replace(" ", "")
    if is_blank(value):
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise InvalidValue(gettext_noop("Write a number.")) from None
    if not number.is_finite():
        raise InvalidValue(gettext_noop("Write a number."))
    if (low is not None and number < low) or (high is not None and number > high):
        raise InvalidValue(gettext_noop("Write a number from %(low)s to %(high)s."), low=low, high=high)
    if above is not None and number <= above:
        raise InvalidValue(gettext_noop("Write a number above %(above)s."), above=above)
    return number


class _Reader:
    """Reads the sheets into the data `services.load_template` takes, collecting problems."""

    def __init__(self, workbook):
        self.workbook = workbook
        self.problems: list[Problem] = []

    def refuse(self, sheet: str, row: int | None, message: str, **params) -> None:
        self.problems.append(Problem(sheet, row, message % params if params else message))

    def rows(self, name: str) -> list[tuple[int, dict[str, str]]]:
        """(row number, {column: text}) of the non-empty rows of sheet `name`."""
        if name not in self.workbook.sheetnames:
            self.refuse(name, None, _("This sheet is missing."))
            return []
        lines = self.workbook[name].iter_rows(values_only=True, max_row=MAX_ROWS + 1)
        header = [_cell(value).casefold() for value in next(lines, ())]
        missing = [column for column in SHEETS[name] if column not in header and column != "version"]
        if missing:
            self.refuse(name, 1, _("Columns missing: %(columns)s."), columns=", ".join(missing))
            return []
        found = []
        for number, values in enumerate(lines, start=2):
            cells = {column: _cell(value) for column, value in zip(header, values, strict=False)}
            if any(cells.values()):
                found.append((number, cells))
        if len(found) > MAX_ROWS - 1:
            self.refuse(name, None, _("Too many rows (at most %(count)s)."), count=MAX_ROWS - 1)
        return found

    def value(self, sheet, number, cells, column, parse, **bounds):
        try:
            return parse(cells.get(column, ""), **bounds)
        except InvalidValue as error:
            self.refuse(sheet, number, _("%(column)s: %(reason)s"), column=column, reason=str(error))
            return None

    def code(self, sheet, number, cells, column="code", seen=None) -> str:
        code = cells.get(column, "")
        if not code:
            self.refuse(sheet, number, _("%(column)s: this cell is required."), column=column)
        elif not CODE.match(code):
            self.refuse(sheet, number, _("%(column)s: use letters, digits, - and _ only (“%(value)s”)."),
                column=column, value=code,
            )  # fmt: skip
        elif seen is not None and code in seen:
            self.refuse(sheet, number, _("%(column)s: “%(value)s” appears twice."), column=column, value=code)
        return code

    def required_text(self, sheet, number, cells, column) -> str:
        if not cells.get(column):
            self.refuse(sheet, number, _("%(column)s: this cell is required."), column=column)
        return cells.get(column, "")

    # -- sheets

    def settings(self) -> dict:
        rows = self.rows("settings")
        if not rows:
            if "settings" in self.workbook.sheetnames:
                self.refuse("settings", 2, _("Give the code and the French title of the questionnaire."))
            return {}
        number, cells = rows[0]
        return {
            "code": self.code("settings", number, cells),
            "title_fr": self.required_text("settings", number, cells, "title_fr"),
            "title_ar": cells.get("title_ar", ""),
        }

    def needs(self) -> dict[str, dict]:
        needs = {}
        for number, cells in self.rows("needs"):
            code = self.code("needs", number, cells, seen=needs)
            kind = cells.get("kind", "").casefold()
            if kind not in NEED_KINDS:
                self.refuse("needs", number, _("kind: write training or coaching."))
            needs[code] = {
                "code": code,
                "kind": kind,
                "label_fr": self.required_text("needs", number, cells, "label_fr"),
                "label_ar": cells.get("label_ar", ""),
            }
        return needs

    def choices(self) -> dict[str, list[dict]]:
        lists: dict[str, list[dict]] = {}
        for number, cells in self.rows("choices"):
            name = self.code("choices", number, cells, column="list")
            seen = {choice["code"] for choice in lists.get(name, [])}
            code = self.code("choices", number, cells, seen=seen)
            score = self.value("choices", number, cells, "score", _decimal, low=0, high=1)
            lists.setdefault(name, []).append(
                {
                    "code": code,
                    "label_fr": self.required_text("choices", number, cells, "label_fr"),
                    "label_ar": cells.get("label_ar", ""),
                    "score": float(score or 0),
                }
            )
        return lists

    def axes(self) -> list[dict]:
        axes, seen = [], set()
        for number, cells in self.rows("axes"):
            code = self.code("axes", number, cells, seen=seen)
            seen.add(code)
            weight = self.value("axes", number, cells, "weight", _decimal, above=0)
            axes.append(
                {
                    "code": code,
                    "name_fr": self.required_text("axes", number, cells, "name_fr"),
                    "name_ar": cells.get("name_ar", ""),
                    "weight": weight if weight is not None else Decimal(1),
                    "questions": [],
                }
            )
        if not axes and "axes" in self.workbook.sheetnames:
            self.refuse("axes", None, _("The questionnaire needs at least one axis."))
        return axes

    def questions(self, axes: list[dict], needs: dict, lists: dict) -> None:
        by_code = {axis["code"]: axis for axis in axes}
        types = {value for value, _label in Question.Type.choices}
        seen: set[str] = set()
        for number, cells in self.rows("questions"):
            code = self.code("questions", number, cells, seen=seen)
            seen.add(code)
            axis = by_code.get(cells.get("axis", ""))
            if axis is None:
                self.refuse("questions", number, _("axis: “%(value)s” is not in the axes sheet."), value=cells.get("axis", ""))  # fmt: skip
            kind = cells.get("type", "").casefold()
            if kind not in types:
                self.refuse(
                    "questions", number, _("type: write one of %(types)s."), types=", ".join(sorted(types))
                )
            item = {
                "code": code,
                "type": kind,
                "text_fr": self.required_text("questions", number, cells, "text_fr"),
                "text_ar": cells.get("text_ar", ""),
                "weight": self._or(self.value("questions", number, cells, "weight", _decimal, low=0, high=999), 1),
                "required": self._or(self.value("questions", number, cells, "required", parse_bool), True),
                "target": self.value("questions", number, cells, "target", _decimal, above=0),
                "min": self.value("questions", number, cells, "min", _decimal),
                "max": self.value("questions", number, cells, "max", _decimal),
                "need_threshold": self._or(
                    self.value("questions", number, cells, "need_threshold", _decimal, low=0, high=1), Decimal("0.5")
                ),
                "needs": self._needs(number, cells, needs),
                "choices": self._choices(number, cells, kind, lists),
            }  # fmt: skip
            if item["min"] is not None and item["max"] is not None and item["min"] > item["max"]:
                self.refuse("questions", number, _("min is above max."))
            if axis is not None:
                axis["questions"].append(item)
        if not seen and "questions" in self.workbook.sheetnames:
            self.refuse("questions", None, _("The questionnaire needs at least one question."))

    @staticmethod
    def _or(value, default):
        return default if value is None else value

    def _needs(self, number, cells, needs) -> list[dict]:
        found = []
        for code in split_list(cells.get("needs", "").replace(" ", ",")):
            if code in needs:
                found.append(needs[code])
            else:
                self.refuse(
                    "questions", number, _("needs: “%(value)s” is not in the needs sheet."), value=code
                )
        return found

    def _choices(self, number, cells, kind, lists) -> list[dict]:
        if kind not in Question.CHOICE_TYPES:
            if cells.get("choices"):
                self.refuse("questions", number, _("choices: only choice questions have choices."))
            return []
        name = cells.get("choices") or cells.get("code", "")
        if not lists.get(name):
            self.refuse("questions", number, _("choices: the list “%(value)s” has no choices in the choices sheet."), value=name)  # fmt: skip
            return []
        return lists[name]


def read_workbook(content: bytes) -> dict:
    """The template data of a workbook, in the shape `services.load_template` takes."""
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on a file that is not a workbook
        raise TemplateRefused(
            [Problem("—", None, _("This file is not an Excel workbook (.xlsx)."))]
        ) from error
    reader = _Reader(workbook)
    data = reader.settings()
    needs, lists = reader.needs(), reader.choices()
    data["axes"] = reader.axes()
    reader.questions(data["axes"], needs, lists)
    workbook.close()
    if reader.problems:
        raise TemplateRefused(reader.problems)
    return data


MAX_BYTES = 5 * 1024 * 1024


def read_upload(uploaded) -> bytes:
    """The bytes of an uploaded workbook, refused when empty or too large."""
    if not uploaded or not uploaded.size:
        raise TemplateRefused([Problem("—", None, _("The file is empty."))])
    if uploaded.size > MAX_BYTES:
        raise TemplateRefused([Problem("—", None, _("The file is too large; the limit is 5 MB."))])
    return uploaded.read()


@transaction.atomic
def import_template(content: bytes, *, by) -> Template:
    """Create a new draft version of the template named in the workbook (a new template when its
    code is unknown). Head office only. Refused with every problem found; nothing half-saved."""
    policy.require(by, "diagnostics.manage_templates")
    data = read_workbook(content)
    latest = Template.objects.filter(code=data["code"]).aggregate(Max("version"))["version__max"] or 0
    data["version"] = latest + 1
    previous = Template.objects.filter(code=data["code"]).order_by("-version").first()
    if previous is not None:
        data["purpose"] = previous.purpose
    try:
        return load_template(data)
    except ValidationError as error:
        raise TemplateRefused([Problem("questions", None, message) for message in error.messages]) from error
