"""Input chunks for ``wirestream cluster``: full chunks from a file, early (idle) chunks
where a live pipe pauses, lines split across reads put back together."""

from __future__ import annotations

import os
import threading

from wirestream.line_chunks import READ_BYTES, Chunk, chunks_of, fd_chunks


def test_a_file_comes_in_full_chunks(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"".join(b"line %d\n" % i for i in range(1, 11)) + b"last, no newline")
    with open(path, "rb") as f:
        chunks = list(fd_chunks(f.fileno(), 4))
    assert [c.first for c in chunks] == [1, 5, 9]
    assert [len(c.lines) for c in chunks] == [4, 4, 3]
    assert [c.idle for c in chunks] == [False, False, True]
    assert chunks[0].lines[0] == b"line 1\n" and chunks[-1].lines[-1] == b"last, no newline"


def test_a_line_longer_than_many_reads_is_one_line(tmp_path):
    long = b"x" * (5 * READ_BYTES + 17)
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"a\n" + long + b"\nb\n")
    with open(path, "rb") as f:
        lines = [line for c in fd_chunks(f.fileno(), 256) for line in c.lines]
    assert lines == [b"a\n", long + b"\n", b"b\n"]


def test_a_live_pipe_hands_on_what_has_arrived():
    """The writer sends two lines, then half a line, then waits: the two lines come out as an
    idle chunk while the writer is still waiting; the rest follows once written."""
    r, w = os.pipe()
    released = threading.Event()

    def writer() -> None:
        os.write(w, b"one\ntwo\nthr")
        released.wait(10)
        os.write(w, b"ee\nfour\n")
        os.close(w)

    t = threading.Thread(target=writer)
    t.start()
    chunks = fd_chunks(r, 256)
    first = next(chunks)
    assert first == Chunk(1, [b"one\n", b"two\n"], True)
    assert not released.is_set()  # handed on while the writer was still holding back
    released.set()
    rest = list(chunks)
    t.join()
    os.close(r)
    assert rest == [Chunk(3, [b"three\n", b"four\n"], True)]


def test_in_memory_lines_come_in_full_chunks():
    chunks = list(chunks_of([b"a\n", b"b\n", b"c\n"], 2))
    assert chunks == [Chunk(1, [b"a\n", b"b\n"], False), Chunk(3, [b"c\n"], True)]


def test_an_endless_line_is_held_only_up_to_the_limit(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"a\n" + b"x" * (20 * READ_BYTES) + b"\nb\n")
    with open(path, "rb") as f:
        lines = [line for c in fd_chunks(f.fileno(), 256, max_line=READ_BYTES) for line in c.lines]
    assert lines[0] == b"a\n" and lines[2] == b"b\n" and len(lines) == 3
    assert READ_BYTES < len(lines[1]) <= 3 * READ_BYTES  # cut short, still over the limit
