"""The bulk ASDF path reads trace attributes straight into the expected types; attributes
stored in other types (float32 rate, int32 start, variable-length event id) or shapes take
the general way and give the same values."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from seisgan_core.io.asdf import _attr, read_asdf_traces

NAME = "IT.AQG..HN{}__2009-04-06T01:32:39.000000Z__2009-04-06T01:33:19.000000Z__acc"


def _write(path, rate, start, event):
    with h5py.File(path, "w") as f:
        f.attrs["file_format"] = np.bytes_("ASDF")
        group = f.create_group("Waveforms/IT.AQG")
        for k, c in enumerate("ENZ"):
            ds = group.create_dataset(
                NAME.format(c), data=np.arange(8000, dtype="f4") * (k + 1), fletcher32=True
            )
            ds.attrs.create("sampling_rate", rate)
            ds.attrs.create("starttime", start)
            if event is not None:
                ds.attrs["event_id"] = event


@pytest.mark.parametrize(
    ("rate", "start", "event"),
    [
        (np.float64(200.0), np.int64(1239001959000000000), np.bytes_("smi:ev/1,smi:ev/2")),
        (np.float32(200.0), np.int64(1239001959000000000), "smi:ev/1,smi:ev/2"),  # vlen str
        (np.float64(200.0), np.int32(1239001959), np.bytes_("smi:ev/1,smi:ev/2")),
    ],
)
def test_attributes_of_any_stored_type_read_the_same(tmp_path, rate, start, event):
    path = tmp_path / "t.h5"
    _write(path, rate, start, event)
    traces = read_asdf_traces(path)
    assert [t.info.channel for t in traces] == ["HNE", "HNN", "HNZ"]
    for k, t in enumerate(traces):
        assert t.info.sampling_rate_hz == 200.0
        assert t.info.starttime_ns == int(start)
        assert t.info.event_ids == ("smi:ev/1", "smi:ev/2")
        assert t.data.dtype == np.float64
        np.testing.assert_array_equal(t.data, np.arange(8000) * (k + 1.0))


def test_an_array_attribute_is_read_whole_and_a_missing_one_is_none(tmp_path):
    # h5py does not check a buffer's size when reading an attribute: a scalar buffer for a
    # two-value attribute would be overrun; the shape must come from the file
    path = tmp_path / "t.h5"
    _write(path, np.array([200.0, 100.0]), np.int64(0), None)
    with h5py.File(path) as f:
        dsid = f["Waveforms/IT.AQG"][NAME.format("E")].id
        np.testing.assert_array_equal(_attr(dsid, b"sampling_rate", np.dtype("<f8")), [200, 100])
        assert _attr(dsid, b"event_id") is None
        assert _attr(dsid, b"starttime") == 0


def test_a_nan_start_time_is_not_turned_into_a_number(tmp_path):
    path = tmp_path / "t.h5"
    _write(path, np.float64(200.0), np.float64("nan"), None)
    with h5py.File(path) as f:
        start = _attr(f["Waveforms/IT.AQG"][NAME.format("E")].id, b"starttime")
    assert np.isnan(start)  # as stored: int64 conversion would give -2**63 silently


@pytest.mark.parametrize(
    "value",
    [
        np.int64(1239001959000000000),
        np.int32(-7),
        np.float64(0.005),
        np.float32(200.0),
        np.array([1.5, 2.5]),  # an array: read whole
        np.float16(200.0),  # no known twin: h5py's own dtype
        np.dtype(">i8").type(12345),  # big-endian: the general way, same value
        np.int16(3),
        np.bytes_("smi:local/IT-2009-0009"),  # fixed length, null-padded (pyasdf's event_id)
        "smi:ev/1,smi:ev/2",  # variable length
    ],
)
def test_every_stored_type_reads_as_h5py_reads_it(tmp_path, value):
    # _attr's fast path (the file's type into its NumPy twin) and its general path give what
    # h5py's high-level attribute read gives, value and dtype
    path = tmp_path / "t.h5"
    with h5py.File(path, "w") as f:
        ds = f.create_dataset("x", data=np.zeros(4))
        ds.attrs["a"] = value
    with h5py.File(path) as f:
        expected = f["x"].attrs["a"]
        got = _attr(f["x"].id, b"a")
    if isinstance(expected, np.ndarray):
        np.testing.assert_array_equal(got, expected)
        assert got.dtype == expected.dtype
    elif isinstance(expected, str):  # variable length: the low-level read gives its bytes
        assert got == expected.encode()
    else:
        assert got == expected and type(got) is type(expected)


def test_fixed_strings_padded_with_spaces_or_nulls_read_as_h5py_reads_them(tmp_path):
    path = tmp_path / "t.h5"
    with h5py.File(path, "w") as f:
        ds = f.create_dataset("x", data=np.zeros(4))
        for name, pad in (("space", h5py.h5t.STR_SPACEPAD), ("nullterm", h5py.h5t.STR_NULLTERM)):
            stype = h5py.h5t.C_S1.copy()
            stype.set_size(12)
            stype.set_strpad(pad)
            space = h5py.h5s.create(h5py.h5s.SCALAR)
            attr = h5py.h5a.create(ds.id, name.encode(), stype, space)
            attr.write(np.array(b"ev/1", dtype="S12"), mtype=h5py.h5t.py_create(np.dtype("S12")))
    with h5py.File(path) as f:
        for name in ("space", "nullterm"):
            expected = f["x"].attrs[name]
            assert _attr(f["x"].id, name.encode()) == expected, name
    assert expected == b"ev/1"
