"""Writing small test spreadsheets into a test's tmp_path: real XLSX (openpyxl) and CSV files."""

import csv
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl


def write_xlsx(path: Path, rows: list[list], sheet: str = "POA&M", sheets: dict[str, list[list]] | None = None,
               start_row: int = 1) -> Path:
    """An XLSX file with ``rows`` on ``sheet`` from ``start_row`` on (or several ``sheets``, in order)."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, content in (sheets or {sheet: rows}).items():
        worksheet = workbook.create_sheet(name)
        for number, row in enumerate(content, start=start_row):
            for column, value in enumerate(row, start=1):
                if value is not None:
                    worksheet.cell(row=number, column=column, value=value)
    workbook.save(path)
    return path


def write_csv(path: Path, rows: list[list], delimiter: str = ",", encoding: str = "utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as stream:
        csv.writer(stream, delimiter=delimiter).writerows(rows)
    return path


def write_ods(path: Path, rows: list[list], sheet: str = "POA&M") -> Path:
    """A minimal OpenDocument spreadsheet (what LibreOffice saves), written by hand: no library writes ODS."""
    def cell(value) -> str:
        if value is None or value == "":
            return "<table:table-cell/>"
        if isinstance(value, (int, float)):
            return (f'<table:table-cell office:value-type="float" office:value="{value}">'
                    f"<text:p>{value}</text:p></table:table-cell>")
        if hasattr(value, "isoformat"):
            return (f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}">'
                    f"<text:p>{value}</text:p></table:table-cell>")
        return f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p></table:table-cell>'

    body = "".join("<table:table-row>" + "".join(map(cell, row)) + "</table:table-row>" for row in rows)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="{escape(sheet)}">{body}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", manifest)
    return path
