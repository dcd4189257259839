"""Writing a report in pieces on a second thread, and making them two at a time
(policycheck.streams)."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policycheck import streams
from policycheck.streams import AHEAD, beside, interleaved, write_pieces


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


@given(st.lists(st.integers()), st.booleans())
def test_interleaved_gives_what_map_gives_in_order(items: list[int], share: bool) -> None:
    assert list(interleaved(items, lambda i: (i, i * i), share)) == [(i, i * i) for i in items]


def _meeting(parties: int) -> tuple[threading.Barrier, set[str], object]:
    """A work function that returns only once ``parties`` items are at work together, and
    the names of the threads it ran on."""
    meet = threading.Barrier(parties, timeout=10)
    names: set[str] = set()

    def work(item: int) -> int:
        names.add(threading.current_thread().name)
        meet.wait()
        return -item

    return meet, names, work


def test_interleaved_works_out_two_items_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streams, "cores", lambda: 2)
    _, names, work = _meeting(2)  # waits for a second item at work: never, if one at a time
    assert list(interleaved([1, 2, 3, 4], work)) == [-1, -2, -3, -4]  # type: ignore[arg-type]
    assert len(names) == 2


@pytest.mark.parametrize("cores, share", [(1, True), (2, False)])
def test_interleaved_keeps_to_one_thread_on_one_core_or_when_not_asked(
        monkeypatch: pytest.MonkeyPatch, cores: int, share: bool) -> None:
    monkeypatch.setattr(streams, "cores", lambda: cores)
    _, names, work = _meeting(1)
    assert list(interleaved([1, 2, 3], work, share)) == [-1, -2, -3]  # type: ignore[arg-type]
    assert names == {threading.current_thread().name}


@pytest.mark.parametrize("failing", [2, 3])
def test_interleaved_raises_an_error_where_map_would(
        monkeypatch: pytest.MonkeyPatch, failing: int) -> None:
    """Whichever thread meets it, the items before the failing one come out first."""
    monkeypatch.setattr(streams, "cores", lambda: 2)

    def work(item: int) -> int:
        if item == failing:
            raise ValueError(f"item {item}")
        return item

    made = []
    with pytest.raises(ValueError, match=f"item {failing}"):
        for result in interleaved([0, 1, 2, 3, 4, 5], work):
            made.append(result)
    assert made == list(range(failing))


def test_beside_hands_back_the_result_or_the_error_of_work_on_another_thread() -> None:
    threads: list[str] = []

    def work(a: int, b: int) -> int:
        threads.append(threading.current_thread().name)
        if b == 0:
            raise ZeroDivisionError("division by zero")
        return a // b

    assert beside(work, 7, 2)() == 3
    with pytest.raises(ZeroDivisionError):
        beside(work, 7, 0)()
    assert threading.current_thread().name not in threads


def test_where_no_thread_can_be_started_the_work_is_done_when_asked(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A process at its limit of threads or of address space still gets every result, in
    order, each worked out on its own thread when it is asked for."""
    def refuse(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    monkeypatch.setattr(streams, "cores", lambda: 2)
    done: list[int] = []
    later = beside(done.append, 1)
    assert done == []
    later()
    assert done == [1]
    assert list(interleaved([1, 2, 3], lambda i: -i)) == [-1, -2, -3]
