"""Read a user's CSV into one numeric series, refusing bad files with a message that says why.

The bytes are parsed as text by pandas (never unpickled or evaluated). Two steps, so the page
can offer a choice of column between them: `read_csv_table` checks the file as a whole,
`series_from_table` checks the chosen column value by value.

Every row's width is checked against the header before pandas sees the file: pandas turns the
fields of a row wider than its header into index columns, and one 600 KB row of 300,000 fields
then costs a minute of CPU and a gigabyte. A file is parsed once: the table (or the refusal)
is kept by the hash of its bytes, so the page's reruns with the file still in the uploader do
not parse it again.
"""
from __future__ import annotations

import csv
import hashlib
import io
import reprlib
import threading
from collections import OrderedDict

import numpy as np
import pandas as pd

MAX_BYTES = 2_000_000  # a forecasting demo needs hundreds of values, not millions
MAX_ROWS = 100_000
# A column to forecast is picked from a list: a few hundred columns is already a wide sheet,
# and a header of 300k names would cost a loop per column on every rerun of the page.
MAX_COLUMNS = 500
# The forecasters compute in float32, where the variance of values near 1e19 already overflows;
# a bound well inside that keeps normalisation finite.
MAX_ABS_VALUE = 1e15
PARSED_FILES_KEPT = 16  # files a class uploads at once; each table is at most MAX_BYTES of text

_parsed: OrderedDict[str, pd.DataFrame | str] = OrderedDict()
_parsed_lock = threading.Lock()


def data_digest(raw: bytes) -> str:
    """The identity of a file's content (what a run trained on, whatever the file was called)."""
    return hashlib.sha256(raw).hexdigest()[:16]


def read_csv_table(data: bytes | str) -> pd.DataFrame:
    """Parse CSV bytes (UTF-8) into a table with a header row; raise ValueError naming the
    problem. The same bytes are parsed once (the table returned is shared: do not modify it)."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    key = data_digest(raw)
    with _parsed_lock:
        kept = _parsed.get(key)
        if kept is not None:
            _parsed.move_to_end(key)
    if kept is None:
        try:
            kept = _parse_table(raw)
        except ValueError as err:
            kept = str(err)
        with _parsed_lock:
            _parsed[key] = kept
            while len(_parsed) > PARSED_FILES_KEPT:
                _parsed.popitem(last=False)
    if isinstance(kept, str):
        raise ValueError(kept)
    return kept


def _parse_table(raw: bytes) -> pd.DataFrame:
    if len(raw) > MAX_BYTES:
        raise ValueError(f"the file is {len(raw) / 1e6:.1f} MB; the limit is "
                         f"{MAX_BYTES / 1e6:.0f} MB")
    if not raw.strip():
        raise ValueError("the file is empty")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ValueError(f"the file is not UTF-8 text (byte {err.start} cannot be read)") from None
    sep = _delimiter(text)
    columns = _header_width(text, sep)
    if columns > MAX_COLUMNS:
        raise ValueError(f"the header row has {columns:,} columns; the limit is {MAX_COLUMNS} "
                         "(keep the column to forecast and a few others)")
    _check_row_widths(text, sep, columns)
    try:
        # index_col=False: a row wider than the header is an error, never extra index columns
        table = pd.read_csv(io.StringIO(text), sep=sep, nrows=MAX_ROWS + 1, index_col=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error, ValueError) as err:
        raise ValueError(f"the file is not readable as CSV: {str(err).strip()}") from None
    if table.shape[1] == 0 or table.shape[0] == 0:
        raise ValueError("the file has a header but no rows of data")
    if table.shape[1] > MAX_COLUMNS:  # rows wider than the header also make columns
        raise ValueError(f"the file has {table.shape[1]:,} columns; the limit is {MAX_COLUMNS}")
    if table.shape[0] > MAX_ROWS:
        raise ValueError(f"the file has more than {MAX_ROWS:,} rows; use a shorter series")
    if not numeric_columns(table):
        raise ValueError("no column holds numbers; columns found: " + _names(table.columns))
    return table


def _check_row_widths(text: str, sep: str, columns: int) -> None:
    """Refuse the first row with more fields than the header, before anything is parsed.
    Without quotes a row's width is its delimiters plus one (counted in place, no list of
    fields built); with quotes the csv module reads the records, one at a time."""
    if '"' not in text:
        for number, line in enumerate(text.splitlines()[:MAX_ROWS + 2], start=1):
            _refuse_wide(line.count(sep) + 1, columns, number)
        return
    try:
        for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=sep), start=1):
            _refuse_wide(len(row), columns, number)
            if number > MAX_ROWS + 1:
                return
    except csv.Error as err:
        raise ValueError(f"the file is not readable as CSV: {err}") from None


def _refuse_wide(width: int, columns: int, line: int) -> None:
    if width > columns:
        raise ValueError(f"row {line} has {width:,} fields but the header names {columns}; "
                         "every row needs one field per column")


def _header_width(text: str, sep: str) -> int:
    """Fields in the first record, read the way the csv module reads it (quotes included)."""
    try:
        return len(next(csv.reader(io.StringIO(text), delimiter=sep), []))
    except csv.Error:
        return 0  # pandas reports the parse error with its own message


def _delimiter(text: str) -> str:
    """Comma unless the first lines clearly use semicolons or tabs (European spreadsheets)."""
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def numeric_columns(table: pd.DataFrame) -> list[str]:
    """Columns where most cells parse as numbers (the bad cells get named when one is chosen)."""
    names = []
    for name in table.columns:
        values = _to_numbers(table[name])
        if values.notna().mean() >= 0.5:
            names.append(str(name))
    return names


def _to_numbers(cells: pd.Series) -> pd.Series:
    """Cells as floats, NaN where a cell is not a number. pandas raises OverflowError on an
    integer beyond float range (a 320-digit cell); cell by cell such a value becomes inf,
    which the checks below name."""
    try:
        return pd.to_numeric(cells, errors="coerce")
    except OverflowError:
        return pd.Series([_number(c) for c in cells], index=cells.index, dtype=np.float64)


def _number(cell) -> float:
    try:
        return float(cell)
    except OverflowError:
        return float("inf") if not str(cell).lstrip().startswith("-") else float("-inf")
    except (TypeError, ValueError):
        return float("nan")


def series_from_table(table: pd.DataFrame, column: str | None = None) -> np.ndarray:
    """The chosen column as float64; every cell must be a finite number."""
    options = numeric_columns(table)
    if column is None:
        if not options:
            raise ValueError("no column holds numbers")
        column = options[0]
    by_text = {str(c): c for c in table.columns}
    if column not in by_text:
        raise ValueError(f"no column named {reprlib.repr(column)}; columns found: "
                         + _names(by_text))
    cells = table[by_text[column]]
    name = reprlib.repr(column)
    values = _to_numbers(cells).to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        row = int(bad[0])
        raise ValueError(f"column {name} has {bad.size} missing, non-numeric or infinite "
                         f"value(s); the first is {_cell(cells, row)} in data row {row + 1}")
    huge = np.flatnonzero(np.abs(values) > MAX_ABS_VALUE)
    if huge.size:
        row = int(huge[0])
        raise ValueError(f"column {name} has {huge.size} value(s) beyond ±{MAX_ABS_VALUE:g}, "
                         f"too large to train on; the first is {_cell(cells, row)} in data row "
                         f"{row + 1}")
    if np.ptp(values) == 0:
        raise ValueError(f"column {name} is constant; there is nothing to forecast")
    return values


def _names(columns, shown: int = 8) -> str:
    """Column names for a message, each shortened, a long list cut (headers can be anything)."""
    names = [reprlib.repr(str(c)) for c in columns]
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def _cell(cells: pd.Series, row: int) -> str:
    return reprlib.repr(str(cells.iloc[row]))
