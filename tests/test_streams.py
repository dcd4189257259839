"""Writing a report in pieces on a second thread (policycheck.streams)."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from policycheck.streams import AHEAD, write_pieces


def test_every_piece_is_written_in_order() -> None:
    sink = io.BytesIO()
    write_pieces(sink, (str(i).encode() + b"," for i in range(1000)))
    assert sink.getvalue() == b"".join(str(i).encode() + b"," for i in range(1000))


class _FullDisk(io.BytesIO):
    def write(self, data: object) -> int:  # type: ignore[override]
        if len(self.getvalue()) >= 3:
            raise OSError(28, "No space left on device")
        return super().write(data)  # type: ignore[arg-type]


def test_a_failed_write_stops_the_maker_and_reaches_the_caller() -> None:
    made = []

    def pieces() -> Iterator[bytes]:
        for i in range(10_000):
            made.append(i)
            yield b"x"

    sink = _FullDisk()
    with pytest.raises(OSError, match="No space left"):
        write_pieces(sink, pieces())
    assert sink.getvalue() == b"xxx"
    assert len(made) < 100  # stopped soon after the failure, not run to the end


def test_a_failed_piece_reaches_the_caller_after_what_was_made() -> None:
    def pieces() -> Iterator[bytes]:
        yield b"a"
        yield b"b"
        raise TypeError("a value json.dumps refuses")

    sink = io.BytesIO()
    with pytest.raises(TypeError, match="refuses"):
        write_pieces(sink, pieces())
    assert sink.getvalue() == b"ab"
    assert AHEAD >= 1
