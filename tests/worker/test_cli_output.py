"""Reading the CLI's output: whole lines in the batches one read brings, whatever their length."""

import os
import threading
import time
from collections.abc import Iterator

from worker.drain import read_lines


def _batches(*writes: bytes) -> Iterator[list[bytes]]:
    """read_lines over a real pipe fed by `writes`, a pause between each."""
    read_end, write_end = os.pipe()

    def feed() -> None:
        for data in writes:
            _write_all(write_end, data)
            time.sleep(0.05)
        os.close(write_end)

    threading.Thread(target=feed, daemon=True).start()
    with os.fdopen(read_end, "rb") as stream:
        yield from read_lines(stream)


def _write_all(fd: int, data: bytes) -> None:
    while data:
        data = data[os.write(fd, data) :]


def test_lines_printed_together_come_in_one_batch() -> None:
    assert list(_batches(b'{"a":1}\n{"b":2}\n{"c":3}\n')) == [
        [b'{"a":1}\n', b'{"b":2}\n', b'{"c":3}\n']
    ]


def test_a_line_split_across_reads_comes_whole_and_a_last_unended_one_too() -> None:
    batches = list(_batches(b"first\nsec", b"ond\nthi", b"rd"))
    assert batches == [[b"first\n"], [b"second\n"], [b"third"]]


def test_a_line_of_megabytes_is_not_cut() -> None:
    huge = b"x" * 3_000_000 + b"\n"
    lines = [line for batch in _batches(huge, b"after\n") for line in batch]
    assert lines == [huge, b"after\n"]
