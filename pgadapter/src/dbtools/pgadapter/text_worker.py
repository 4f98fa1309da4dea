"""The worker process of `text_workers`: `python -m dbtools.pgadapter.text_worker`.

Reads requests from stdin and writes answers to stdout until stdin ends (the server closed it,
or the server died). A request is the name of a function of `statement_text` and a text; the
answer is what the function returned, or the PgError it raised, pickled. Frames are an 8-byte
big-endian length and that many bytes; a request's bytes are the name, a NUL, the UTF-8 text.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import sys
from collections.abc import Callable
from typing import Any, BinaryIO

from .errors import PgError
from .statement_text import analyze_one, classify_all

FUNCTIONS: dict[str, Callable[[str], Any]] = {
    "classify_all": classify_all,
    "analyze_one": analyze_one,
}
_LENGTH = struct.Struct("!Q")


def read_frame(stream: BinaryIO) -> bytes | None:
    """The next frame's bytes, or None at the end of the stream."""
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    (length,) = _LENGTH.unpack(head)
    body = stream.read(length)
    return body if len(body) == length else None


def frame(body: bytes) -> bytes:
    return _LENGTH.pack(len(body)) + body


def answer(request: bytes) -> bytes:
    """A request's answer: (True, result) or (False, PgError), pickled."""
    name, _, text = request.partition(b"\0")
    try:
        result: tuple[bool, Any] = (True, FUNCTIONS[name.decode()](text.decode()))
    except PgError as exc:
        result = (False, exc)
    return pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)


def main() -> None:
    # Ctrl-C reaches the whole process group: the server ends its workers itself (by closing
    # their stdin). A huge statement's parsing yields the CPU to the server's event loop
    # when the two compete for it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(10)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while (request := read_frame(stdin)) is not None:
        stdout.write(frame(answer(request)))
        stdout.flush()


if __name__ == "__main__":
    main()
