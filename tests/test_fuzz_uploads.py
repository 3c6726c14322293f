"""Property-based fuzzing of the uploads: a CSV series (pages/forecast.py) and a weights file
(the Export tab); each either loads, satisfying its invariants, or is refused with a short
message naming the problem, and a refused weights file leaves the trained model as it was.
AppTest cannot drive st.file_uploader, so the validators behind the uploaders are fuzzed here
directly."""
import json
import math
import struct

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from core.export import load_weights, weights_bytes
from core.tasks.series_csv import (MAX_ABS_VALUE, MAX_BYTES, MAX_ROWS, numeric_columns,
                                   read_csv_table, series_from_table)
from fuzz_strategies import FUZZ, huge, outcome

# -- uploaded CSV (pages/forecast.py) --------------------------------------------------------

CELLS = ("1", "2.5", "-3", "0", "1e3", "nan", "NaN", "inf", "-inf", "Infinity", "", " ", "abc",
         "1e309", "1e39", "-1e300", "1e-320", "１", "٣", "\x00", '"', '""', "1,5", "0x10",
         "1_000", " 7 ", "🙂", "None", "NULL", "#N/A", "True")


@st.composite
def csv_files(draw) -> bytes:
    """CSV text with a header, odd cells, a delimiter, sometimes many rows, in some encoding."""
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    cols = draw(st.integers(1, 4))
    long_text = huge(st.text(min_size=1, max_size=4)).map(lambda s: s[:5000])
    header = draw(st.lists(st.one_of(st.sampled_from(["value", "x", "", "value", "1"]),
                                     st.text(max_size=5), long_text),
                           min_size=cols, max_size=cols))
    numbers = st.floats(allow_nan=True, allow_infinity=True).map(repr)
    cell = st.one_of(numbers, st.integers(-10**6, 10**6).map(str), st.sampled_from(CELLS),
                     long_text)
    rows = draw(st.lists(st.lists(cell, min_size=1, max_size=cols + 1), max_size=60))
    lines = [sep.join(header)] + [sep.join(r) for r in rows]
    repeat = draw(st.sampled_from([1, 1, 1, 2, MAX_ROWS // 40, MAX_ROWS // 10]))
    if repeat > 1 and rows:
        lines = lines[:1] + lines[1:] * repeat
    text = "\n".join(lines) + draw(st.sampled_from(["", "\n", "\r\n"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "latin-1", "utf-16"]))
    return text.encode(encoding, errors="replace")


def check_upload(data: bytes) -> None:
    """What the forecast page does with an upload: read, list numeric columns, take one."""
    table = outcome(lambda: read_csv_table(data))
    if table is None:
        return
    assert 1 <= len(table) <= MAX_ROWS
    columns = numeric_columns(table)
    assert columns
    for column in columns:
        series = outcome(lambda: series_from_table(table, column))
        if series is not None:
            assert series.dtype == np.float64 and series.ndim == 1
            assert len(series) == len(table)
            assert np.isfinite(series).all() and np.ptp(series) > 0
            # the forecasters work in float32: the values' variance must fit it
            assert np.abs(series).max() <= MAX_ABS_VALUE
            assert np.isfinite(np.var(series.astype(np.float32)))


@FUZZ
@given(data=st.one_of(st.binary(max_size=2000), csv_files()))
def test_series_csv_upload(data):
    check_upload(data)


@settings(FUZZ, max_examples=20)
@given(piece=st.one_of(st.binary(min_size=1, max_size=8), st.sampled_from([b"1\n", b"1,2\n"])),
       size=st.sampled_from([MAX_BYTES - 1, MAX_BYTES + 1]))
def test_series_csv_huge_upload(piece, size):
    check_upload(b"value\n" + (piece * (size // len(piece) + 1))[:size])


def test_series_csv_names_the_bad_cell():
    table = read_csv_table(b"t,value\n1,1.5\n2,nan\n3,inf\n4,2\n")
    with pytest.raises(ValueError, match="'nan' in data row 2"):
        series_from_table(table, "value")
    with pytest.raises(ValueError, match="not UTF-8"):
        read_csv_table("value\n1\n\u00e9\n2\n".encode("latin-1"))
    with pytest.raises(ValueError, match="more than"):
        read_csv_table(b"value\n" + b"1\n" * (MAX_ROWS + 1))


# -- uploaded weights (ui/export.py) ---------------------------------------------------------

def fresh_modules() -> dict:
    torch.manual_seed(0)
    return {"model": torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.LayerNorm(4)),
            "other": torch.nn.GRU(2, 3)}


def snapshot(modules) -> dict:
    return {f"{n}/{k}": v.clone() for n, m in modules.items() for k, v in m.state_dict().items()}


DTYPES = ("F32", "F64", "F16", "BF16", "I64", "I32", "I8", "U8", "BOOL", "C64", "F8_E4M3",
          "XX", "")


@st.composite
def safetensors_files(draw, names: list[str]) -> bytes:
    """A length-prefixed JSON header (sometimes lying about sizes, dtypes or offsets) and a
    payload of random bytes."""
    entries = {}
    name_text = st.one_of(st.sampled_from(names), st.text(max_size=8),
                          huge(st.text(min_size=1, max_size=3)).map(lambda s: s[:3000]))
    for name in draw(st.lists(name_text, max_size=4, unique=True)):
        shape = draw(st.lists(st.integers(0, 5), max_size=3))
        start = draw(st.integers(0, 64))
        entries[name] = {"dtype": draw(st.sampled_from(DTYPES)), "shape": shape,
                         "data_offsets": [start, start + draw(st.integers(-4, 256))]}
    if draw(st.booleans()):
        entries["__metadata__"] = {"format": "pt"}
    header = json.dumps(entries).encode()
    if draw(st.booleans()):
        header = header[:draw(st.integers(0, len(header)))]
    size = draw(st.sampled_from([len(header), len(header) + 1, 0, 2**63, 2**32]))
    payload = draw(st.binary(max_size=300))
    return struct.pack("<Q", size % 2**64) + header + payload


@st.composite
def altered_checkpoints(draw, modules) -> bytes:
    """The right names and shapes, with non-finite values or another dtype."""
    fill = draw(st.sampled_from([math.nan, math.inf, -math.inf, 0.0, 1e30, 1e300]))
    dtype = draw(st.sampled_from([torch.float32, torch.float64, torch.float16, torch.bfloat16,
                                  torch.int64, torch.bool, torch.complex64]))
    tensors = {}
    for n, m in modules.items():
        for k, v in m.state_dict().items():
            t = v.detach().clone().to(dtype)  # 1e300 as float64 is inf once in float32
            if t.is_floating_point() and draw(st.booleans()):
                t.view(-1)[0] = torch.tensor(fill, dtype=torch.float64).to(t.dtype)
            tensors[f"{n}/{k}"] = t
    from safetensors.torch import save
    return save(tensors)


@settings(FUZZ, max_examples=200)
@given(data=st.data())
def test_load_weights_keeps_the_model_on_bad_files(data):
    modules = fresh_modules()
    names = list(snapshot(modules))
    upload = data.draw(st.one_of(st.binary(max_size=600), safetensors_files(names),
                                 altered_checkpoints(modules),
                                 st.just(weights_bytes(modules))))
    before = snapshot(modules)
    count = outcome(lambda: load_weights(modules, upload))
    after = snapshot(modules)
    if count is None:
        assert all(torch.equal(before[k], after[k]) for k in before), "a refused file changed it"
    else:
        assert count == len(before)
        assert all(torch.isfinite(v).all() for v in after.values() if v.is_floating_point())


def test_load_weights_refuses_an_oversized_file():
    from core.export import MAX_CHECKPOINT_BYTES
    modules = fresh_modules()
    before = snapshot(modules)
    with pytest.raises(ValueError, match="MB"):
        load_weights(modules, b"\0" * (MAX_CHECKPOINT_BYTES + 1))
    assert all(torch.equal(before[k], v) for k, v in snapshot(modules).items())


def test_a_row_wider_than_its_header_is_refused_in_bounded_memory():
    """Header `a`, then one row of 300,000 fields (600 KB): pandas would make 299,999 index
    columns of it (a minute of CPU, a gigabyte). Refused by the row check, never parsed."""
    import tracemalloc
    wide = b"a\n" + b",".join(b"%d" % (i % 97) for i in range(300_000)) + b"\n"
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="row 2 has 300,000 fields but the header names 1"):
            read_csv_table(wide)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * len(wide)  # the text and its lines, not a table of the fields
    quoted = b'a,b\n"1",2\n' + b",".join(b'"%d"' % i for i in range(1000)) + b"\n"
    with pytest.raises(ValueError, match="row 3 has 1,000 fields"):
        read_csv_table(quoted)


def test_a_file_is_parsed_once_and_its_refusal_kept(monkeypatch):
    from core.tasks import series_csv
    calls = []
    real = series_csv._parse_table
    monkeypatch.setattr(series_csv, "_parse_table", lambda raw: calls.append(raw) or real(raw))
    good, bad = b"value\n1\n2\n3\n5\n", b"value\n1\n2,3,4\n"
    first = read_csv_table(good)
    assert read_csv_table(good) is first
    for _ in range(2):
        with pytest.raises(ValueError, match="row 3 has 3 fields"):
            read_csv_table(bad)
    assert calls == [good, bad]
    assert series_csv.data_digest(good) != series_csv.data_digest(bad)
