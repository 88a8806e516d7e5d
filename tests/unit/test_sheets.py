"""CSV for spreadsheet apps: what a participant typed is never run as a formula, accents
survive Excel (a byte order mark), and quoting is the csv module's."""

from __future__ import annotations

import csv
import io

from node.features.workspace.sheets import safe_cell, to_csv


def test_cells_a_spreadsheet_would_run_are_prefixed_with_a_quote() -> None:
    typed = ["=1+1", "+33 6 12", "-2", "@SUM(A1)", "\tcmd", "\r=x", "Zoë", "a=b", "", None, 7]
    assert [safe_cell(v) for v in typed] == [
        "'=1+1", "'+33 6 12", "'-2", "'@SUM(A1)", "'\tcmd", "'\r=x", "Zoë", "a=b", "", "", "7"
    ]  # fmt: skip


def test_the_file_has_a_bom_crlf_lines_and_quoted_commas() -> None:
    body = to_csv(["name", "note"], [["Zoë, Lu", 'said "hi"'], ["=cmd", ""]])
    assert body.startswith(b"\xef\xbb\xbf") and b"\r\n" in body
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows == [["name", "note"], ["Zoë, Lu", 'said "hi"'], ["'=cmd", ""]]
