"""A Redis proxy that asks the test before each transaction goes through, and can hold one.

The stream job writes a batch's state as one MULTI/EXEC transaction, after the batch's alerts
are flushed and before its offsets are committed. Holding that transaction is the one moment at
which a kill leaves published alerts whose input is not yet committed, and the gate finds it
every time instead of sampling freezes at random.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

from tests.support.proxy import CuttableProxy, shut


class RedisWriteGate(CuttableProxy):
    """Forwards everything; before a client's ``MULTI`` reaches Redis, ``hold()`` is asked.

    When it answers True the transaction waits (``held`` is set) until ``release()``; after
    that the gate lets everything through.
    """

    def __init__(self, port: int, target: tuple[str, int], hold: Callable[[], bool]) -> None:
        super().__init__(port, target)
        self._hold = hold
        self._ask = threading.Lock()  # one question at a time: transactions are ordered
        self.held = threading.Event()
        self._released = threading.Event()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def release(self) -> None:
        self._released.set()

    def stop(self) -> None:
        self.release()
        self.cut()

    def forward(self, client: socket.socket, upstream: socket.socket) -> None:
        pending = b""
        try:
            while data := client.recv(65536):
                pending += data
                sent = 0
                commands = _commands_in(pending)
                for start, _end, name in commands:
                    if name == b"MULTI" and self._should_hold():
                        upstream.sendall(pending[sent:start])
                        sent = start
                        self.held.set()
                        self._released.wait()
                complete = commands[-1][1] if commands else 0
                upstream.sendall(pending[sent:complete])
                pending = pending[complete:]
        except OSError:
            pass
        finally:
            shut(client, upstream)

    def _should_hold(self) -> bool:
        if self._released.is_set() or self.held.is_set():
            return False
        with self._ask:
            return self._hold()


def _commands_in(buffer: bytes) -> list[tuple[int, int, bytes]]:
    """Each complete RESP command in ``buffer``: (start, end, upper-cased name)."""
    found: list[tuple[int, int, bytes]] = []
    at = 0
    while (parsed := _command_at(buffer, at)) is not None:
        end, name = parsed
        found.append((at, end, name))
        at = end
    return found


def _command_at(buffer: bytes, at: int) -> tuple[int, bytes] | None:
    """Parse one ``*N`` array of bulk strings (what every Redis client sends) at ``at``."""
    line_end = buffer.find(b"\r\n", at)
    if line_end < 0 or buffer[at : at + 1] != b"*":
        return None
    count = int(buffer[at + 1 : line_end])
    cursor, name = line_end + 2, b""
    for index in range(count):
        header_end = buffer.find(b"\r\n", cursor)
        if header_end < 0:
            return None
        length = int(buffer[cursor + 1 : header_end])
        data_start = header_end + 2
        if len(buffer) < data_start + length + 2:
            return None
        if index == 0:
            name = buffer[data_start : data_start + length].upper()
        cursor = data_start + length + 2
    return cursor, name
