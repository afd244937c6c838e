"""Fake PostgreSQL servers on loopback, for what a real server will not do on request.

`FakeServer("password")` asks every client for a cleartext password, records what it gets and
refuses it; `FakeServer("stall")` lets the client in (AuthenticationOk, ReadyForQuery) and then
never answers again, as a hung server or a dropped network does. Both record every connection.
"""

from __future__ import annotations

import socket
import struct
import threading

SSL_REQUEST, GSS_REQUEST, CANCEL_REQUEST = 80877103, 80877104, 80877102


class FakeServer:
    def __init__(self, mode: str):
        self.mode = mode
        self.connections = 0
        self.passwords: list[str] = []
        self.startups: list[dict[str, str]] = []
        self._socket = socket.socket()
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(16)
        self.port = self._socket.getsockname()[1]
        self._clients: list[socket.socket] = []
        self._stopped = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def __enter__(self) -> FakeServer:
        return self

    def __exit__(self, *exc) -> None:
        self._stopped.set()
        for sock in (self._socket, *self._clients):
            try:
                sock.close()
            except OSError:
                pass

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._socket.accept()
            except OSError:
                return
            self._clients.append(client)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            parameters = self._startup(client)
            if parameters is None:
                return
            self.connections += 1
            self.startups.append(parameters)
            if self.mode == "password":
                client.sendall(b"R" + struct.pack("!ii", 8, 3))  # cleartext, please
                kind, body = _message(client)
                if kind == b"p":
                    self.passwords.append(body.rstrip(b"\0").decode("utf-8", "replace"))
                _error(client, "28P01", "password authentication failed for user")
                return
            client.sendall(b"R" + struct.pack("!ii", 8, 0))
            for name, value in (("server_version", "15.0"), ("client_encoding", "UTF8"),
                                ("server_encoding", "UTF8"), ("DateStyle", "ISO, MDY"),
                                ("integer_datetimes", "on"),
                                ("standard_conforming_strings", "on"), ("TimeZone", "UTC")):
                payload = name.encode() + b"\0" + value.encode() + b"\0"
                client.sendall(b"S" + struct.pack("!i", 4 + len(payload)) + payload)
            client.sendall(b"K" + struct.pack("!iii", 12, 4242, 2424))
            client.sendall(b"Z" + struct.pack("!i", 5) + b"I")
            while not self._stopped.is_set():  # stall: read whatever comes, answer nothing
                if not client.recv(65536):
                    return
        except OSError:
            return

    def _startup(self, client: socket.socket) -> dict[str, str] | None:
        while True:
            length = struct.unpack("!i", _exactly(client, 4))[0]
            body = _exactly(client, length - 4)
            code = struct.unpack("!i", body[:4])[0]
            if code in (SSL_REQUEST, GSS_REQUEST):
                client.sendall(b"N")
                continue
            if code == CANCEL_REQUEST:
                return None
            fields = body[4:].split(b"\0")
            return {fields[i].decode(): fields[i + 1].decode()
                    for i in range(0, len(fields) - 1, 2) if fields[i]}


def _exactly(client: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = client.recv(size - len(data))
        if not chunk:
            raise OSError("closed")
        data += chunk
    return data


def _message(client: socket.socket) -> tuple[bytes, bytes]:
    kind = _exactly(client, 1)
    length = struct.unpack("!i", _exactly(client, 4))[0]
    return kind, _exactly(client, length - 4)


def _error(client: socket.socket, state: str, text: str) -> None:
    payload = (b"SFATAL\0" + b"C" + state.encode() + b"\0" + b"M" + text.encode() + b"\0\0")
    client.sendall(b"E" + struct.pack("!i", 4 + len(payload)) + payload)
