"""Errors name the file, the line or field, what was expected and what was found."""

import pickle

from seisgan_core.io.errors import FormatError, UnsafeInputError


def test_message_names_everything():
    error = FormatError("a/b.ASC", 12, "a number", "'abc'", field="SAMPLING_INTERVAL_S")
    assert (
        str(error)
        == "a/b.ASC, line 12, field 'SAMPLING_INTERVAL_S': expected a number, found 'abc'"
    )


def test_without_line_or_field():
    assert (
        str(FormatError("x.h5", None, "ASDF", "plain HDF5"))
        == "x.h5: expected ASDF, found plain HDF5"
    )


def test_pickle_round_trip_keeps_type_and_fields():
    error = UnsafeInputError("z.zip", None, "relative member names", "'../x'", field="member")
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is UnsafeInputError
    assert (again.path, again.line, again.field, again.found) == ("z.zip", None, "member", "'../x'")
    assert str(again) == str(error)
