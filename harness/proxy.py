"""A TCP proxy of our own between the worker and the broker, for network-fault tests.

It listens on a free port of 127.0.0.1 and relays every connection to the broker. Faults:

- :meth:`TcpProxy.blackhole`: connections stay open but every byte, both ways, is dropped, as on
  a network partition where packets vanish: clients see nothing until their own timeouts fire;
  new connections are accepted and then hear nothing either;
- :meth:`TcpProxy.reset_all`: every open connection is closed with a TCP reset (``SO_LINGER``
  0), as when a partition heals behind a stateful firewall that forgot the flows.

The broker must advertise the proxy's port to clients (``kafka.sh`` with
``KAFKA_ADVERTISED_PORT``), or clients would leave the proxy after their first metadata request.
The proxy runs its own event loop in a thread, so a test can drive it from synchronous code.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
from typing import Self

from harness.services import StoppedOnExit

_CHUNK = 65536


class TcpProxy(StoppedOnExit):
    def __init__(self, target_port: int, port: int, *, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port
        self.target_port = target_port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._passing = threading.Event()
        self._passing.set()
        self.connections = 0  # accepted so far, for the tests' own checks

    def start(self) -> Self:
        self._thread.start()
        self._call(self._listen())
        return self

    def blackhole(self, on: bool = True) -> None:
        """Drop every byte both ways (``on``), or relay again."""
        if on:
            self._passing.clear()
        else:
            self._passing.set()

    def reset_all(self) -> None:
        """Close every open connection with a TCP reset."""
        self._call(self._reset())

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        self._call(self._close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    def __enter__(self) -> Self:
        return self.start()

    # --- the loop's side ---------------------------------------------------------------------

    def _call(self, coro: object) -> None:
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)  # type: ignore[arg-type]

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.host, self.port)

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            broker_r, broker_w = await asyncio.open_connection(self.host, self.target_port)
        except OSError:
            _abort(client_w)
            return
        self._writers |= {client_w, broker_w}
        try:
            await asyncio.gather(self._pump(client_r, broker_w), self._pump(broker_r, client_w))
        finally:
            for writer in (client_w, broker_w):
                self._writers.discard(writer)
                writer.close()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await reader.read(_CHUNK):
                if not self._passing.is_set():
                    continue  # blackholed: the bytes vanish
                writer.write(data)
                await writer.drain()
        # One side closed (or was reset): close the other, so that the pair ends together.
        _abort(writer)

    async def _reset(self) -> None:
        for writer in list(self._writers):
            _abort(writer)
        self._writers.clear()

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        await self._reset()


def _abort(writer: asyncio.StreamWriter) -> None:
    """Close with a reset rather than a FIN: the peer sees ECONNRESET at once."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport = writer.transport
    if not transport.is_closing():
        transport.abort()
