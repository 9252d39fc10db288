"""Exports shared by every list: streamed CSV and XLSX, formula-safe, with personal-data logging."""

import csv
from collections.abc import Iterable, Iterator
from io import BytesIO

from django.http import StreamingHttpResponse
from openpyxl import Workbook

from .models import DataAccessLog
from .spreadsheets import safe_cell


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # so that spreadsheet programs read UTF-8 (Arabic) correctly
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([safe_cell(value) for value in row])


def csv_response(*, filename: str, header: list[str], rows: Iterable[list]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_bytes(*, sheet_title: str, header: list[str], rows: Iterable[list]) -> tuple[bytes, int]:
    """An XLSX file written row by row (constant memory), and the number of data rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title[:31])
    sheet.append(header)
    count = 0
    for row in rows:
        sheet.append([safe_cell(value) for value in row])
        count += 1
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), count


def log_personal_data_access(*, user, action: str, filters: dict, rows: int | None = None) -> None:
    DataAccessLog.objects.create(
        user=user, action=action, filters={k: str(v) for k, v in filters.items()}, rows=rows
    )
