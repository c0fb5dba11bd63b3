"""File writers for exports: CSV, and XLSX through xlsxwriter's constant-memory mode.

Both take rows in batches and hand back bytes for the store as they go (XLSX at the end, from
its temporary file, since a zip is only complete when closed), so memory stays flat whatever
the row count."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

import xlsxwriter

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 1024 * 1024
# OWASP: a cell starting with one of these is a formula to a spreadsheet; a leading `'` makes
# it text.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


class ExportWriter(Protocol):
    content_type: str
    extension: str

    def add(self, rows: Sequence[list[str]]) -> bytes:
        """Write rows; the bytes now ready for the store (maybe none)."""

    def finish(self) -> Iterator[bytes]:
        """The remaining bytes, in chunks."""

    def discard(self) -> None:
        """Drop any temporary file."""


class CsvWriter:
    """`text_columns`: the columns that carry text a user typed (remarks, references); every
    other column is made by the server (ids, codes, amounts, times) and cannot start with a
    formula character."""

    content_type = CSV_TYPE
    extension = "csv"

    def __init__(self, columns: Sequence[str], text_columns: Sequence[int] = ()) -> None:
        self.text_columns = tuple(text_columns)
        self.buffer = io.StringIO()
        # a BOM so spreadsheet programs read the file as UTF-8
        self.buffer.write("\ufeff")
        self.writer = csv.writer(self.buffer, lineterminator="\r\n")
        self.writer.writerow(columns)

    def add(self, rows: Sequence[list[str]]) -> bytes:
        if self.text_columns:
            for row in rows:
                for column in self.text_columns:
                    cell = row[column]
                    if cell.startswith(FORMULA_TRIGGERS):
                        row[column] = "'" + cell
        self.writer.writerows(rows)
        data = self.buffer.getvalue().encode()
        self.buffer.seek(0)
        self.buffer.truncate()
        return data

    def finish(self) -> Iterator[bytes]:
        tail = self.add([])
        if tail:
            yield tail

    def discard(self) -> None:
        return None


class XlsxWriter:
    content_type = XLSX_TYPE
    extension = "xlsx"

    def __init__(self, columns: Sequence[str]) -> None:
        handle, name = tempfile.mkstemp(prefix="portico-export-", suffix=".xlsx")
        os.close(handle)
        self.path = Path(name)
        # constant_memory: each row is flushed to a temporary file once the next one starts,
        # and strings are written inline (no shared-strings table held in memory)
        self.workbook = xlsxwriter.Workbook(
            name, {"constant_memory": True, "strings_to_numbers": False}
        )
        self.sheet = self.workbook.add_worksheet("Export")
        self.row = 0
        self.add([list(columns)])

    def add(self, rows: Sequence[list[str]]) -> bytes:
        write = self.sheet.write_string  # always text: never a formula, number or URL
        number = self.row
        for cells in rows:
            for column, cell in enumerate(cells):
                write(number, column, cell)
            number += 1
        self.row = number
        return b""

    def finish(self) -> Iterator[bytes]:
        self.workbook.close()
        with self.path.open("rb") as file:
            while chunk := file.read(CHUNK):
                yield chunk

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def make_writer(
    file_format: str, columns: Sequence[str], text_columns: Sequence[int] = ()
) -> ExportWriter:
    if file_format == "XLSX":
        return XlsxWriter(columns)  # text cells: a spreadsheet never reads them as formulas
    return CsvWriter(columns, text_columns)
