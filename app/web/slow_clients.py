"""gunicorn's gthread worker with deadlines, so idle or trickling connections never pin its threads.

Plain gthread (gunicorn 27) gives a new connection a thread for up to 5 s while it waits for a first
byte (200 idle connections hold 64 threads for seconds), then reads a request head and body on a
socket without a timeout (a client sending one byte a minute holds its thread for ever), and writes
a stream to a client that stopped reading until the kernel gives up. Here:

- a new connection holds a thread KP_FIRST_BYTE_WAIT seconds at most before it is handed back to
  gunicorn's poller (which closes it after `keepalive` seconds of silence);
- a request's head and body must arrive within KP_REQUEST_READ_SECONDS;
- one write (an event, a heartbeat) may block KP_SEND_TIMEOUT seconds at most: a stream whose client
  stopped reading ends, and its place (app/web/stream_caps.py) and its thread are free again.

gunicorn.conf.py selects it: worker_class = "app.web.slow_clients.GuardedThreadWorker".
"""

from __future__ import annotations

import errno
import os
import socket
import time
from typing import Any

from gunicorn.workers import gthread


def _seconds(key: str, default: float) -> float:
    raw = os.environ.get(key) or str(default)
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{key} must be a number of seconds, got {raw!r}") from None
    if value <= 0:
        raise ValueError(f"{key} must be more than 0 seconds, got {raw!r}")
    return value


FIRST_BYTE_WAIT = _seconds("KP_FIRST_BYTE_WAIT", 0.05)
REQUEST_READ_SECONDS = _seconds("KP_REQUEST_READ_SECONDS", 60.0)
SEND_TIMEOUT = _seconds("KP_SEND_TIMEOUT", 30.0)


class DeadlineSocket(socket.socket):
    """A client socket whose blocking mode has a timeout, and whose reads stop at the request's deadline.

    A timeout surfaces as a reset (reading) or a broken pipe (writing): gunicorn closes the connection and
    the response (its stream's `finally`) quietly, as it does when a client goes away.
    """

    deadline = 0.0  # monotonic time by which the current request must have been read

    def setblocking(self, flag: bool) -> None:
        if flag:
            self.settimeout(SEND_TIMEOUT)
        else:
            super().setblocking(False)

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        left = self.deadline - time.monotonic()
        if self.deadline and left <= 0:
            raise ConnectionResetError(errno.ECONNRESET, "request not received in time")
        if self.gettimeout():  # blocking with a timeout (a worker thread), not the poller's non-blocking mode
            self.settimeout(min(SEND_TIMEOUT, left) if self.deadline else SEND_TIMEOUT)
        try:
            return super().recv(bufsize, flags)
        except TimeoutError:
            raise ConnectionResetError(errno.ECONNRESET, "request not received in time") from None

    def sendall(self, data: Any, flags: int = 0) -> None:
        if self.gettimeout():
            self.settimeout(SEND_TIMEOUT)
        try:
            super().sendall(data, flags)
        except TimeoutError:
            raise BrokenPipeError(errno.EPIPE, "client stopped reading") from None


class GuardedThreadWorker(gthread.ThreadWorker):
    """gthread whose connections carry the deadlines above (TLS connections keep gunicorn's own socket)."""

    def handle(self, conn: gthread.TConn) -> Any:
        if not conn.initialized and not conn.data_ready and not conn.wait_for_data(FIRST_BYTE_WAIT):
            return gthread._DEFER  # no byte yet: back to the poller, this thread serves someone else
        if not self.cfg.is_ssl and not isinstance(conn.sock, DeadlineSocket):
            conn.sock = DeadlineSocket(fileno=conn.sock.detach())
        if isinstance(conn.sock, DeadlineSocket):
            conn.sock.deadline = time.monotonic() + REQUEST_READ_SECONDS
        return super().handle(conn)
