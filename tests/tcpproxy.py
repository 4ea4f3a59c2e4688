"""A tiny threaded TCP proxy on loopback that can play "the server restarted", for fault tests.

    proxy = TcpProxy(("127.0.0.1", 5432)).start()
    dsn = f"postgresql://127.0.0.1:{proxy.port}/mydb"     # the processes under test connect here
    proxy.go_down()        # every proxied connection is cut, new ones are refused (port closed)
    proxy.come_back()      # accepting and forwarding again, on the same port
    proxy.stop()

This is what a client sees when PostgreSQL restarts: its open connections end abruptly (here: the
proxy closes both sides; the server side rolls back whatever was open, exactly as after a crash)
and, until the server is back, connecting fails with "connection refused". The shared server itself
is never touched, so other test runs using it are not disturbed.

The port is chosen below the kernel's ephemeral range (see _quiet_port): while the proxy is down the
port is closed, and an outgoing connection must not be able to take it as its local port, or
come_back() could not listen there again.
"""
from __future__ import annotations

import errno
import random
import socket
import threading
import time

_CHUNK = 64 * 1024


def _ephemeral_range() -> tuple[int, int]:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(x) for x in f.read().split())
            return low, high
    except (OSError, ValueError):
        return 32768, 60999


def _quiet_port(host: str) -> int:
    """A free port outside the ephemeral range (so nothing else is handed it while we are down)."""
    low, high = _ephemeral_range()
    candidates = [p for p in range(20000, 30000) if not low <= p <= high] or list(range(10000, 20000))
    for port in random.sample(candidates, 50):
        with socket.socket() as probe:
            try:
                probe.bind((host, port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port for the TCP proxy")


class TcpProxy:
    """Forward connections on (host, port) to `upstream`, each in two pump threads."""

    def __init__(self, upstream: tuple[str, int], host: str = "127.0.0.1", port: int | None = None):
        self.upstream = upstream
        self.host = host
        self.port = port or _quiet_port(host)
        self.accepted = 0                       # connections forwarded so far
        self.cut = 0                            # connections closed by go_down()
        self._lock = threading.Lock()
        self._conns: set[socket.socket] = set()  # both ends of every live connection
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None
        self._stopped = threading.Event()

    # ---------------------------------------------------------------- life cycle

    def start(self) -> "TcpProxy":
        self._listen()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self.go_down()

    def __enter__(self) -> "TcpProxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def up(self) -> bool:
        return self._listener is not None

    def go_down(self) -> None:
        """Close the listening port (new connections: refused) and cut every open connection."""
        with self._lock:
            listener, self._listener = self._listener, None
            conns, self._conns = self._conns, set()
        if listener is not None:
            listener.close()
        if self._acceptor is not None:
            self._acceptor.join(timeout=5)
            self._acceptor = None
        for sock in conns:
            _kill(sock)
        self.cut += len(conns) // 2

    def come_back(self) -> None:
        """Listen on the same port again."""
        if self._listener is None and not self._stopped.is_set():
            self._listen()

    def outage(self, seconds: float) -> None:
        """go_down(), wait, come_back(): a restart as the clients see it."""
        self.go_down()
        time.sleep(seconds)
        self.come_back()

    # ---------------------------------------------------------------- forwarding

    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # our own cut connections in TIME_WAIT
        deadline = time.monotonic() + 3
        while True:
            try:
                listener.bind((self.host, self.port))
                break
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE or time.monotonic() > deadline:
                    listener.close()
                    raise
                time.sleep(0.05)
        listener.listen(128)
        listener.settimeout(0.05)   # so the accept loop notices go_down() promptly
        self._listener = listener
        self._acceptor = threading.Thread(target=self._accept_loop, args=(listener,), daemon=True,
                                          name=f"tcpproxy-{self.port}")
        self._acceptor.start()

    def _accept_loop(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return      # closed by go_down()
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                _kill(client)
                continue
            client.settimeout(None)
            server.settimeout(None)
            with self._lock:
                if self._listener is not listener:   # went down meanwhile
                    _kill(client), _kill(server)
                    return
                self._conns.update((client, server))
                self.accepted += 1
            for src, dst in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(_CHUNK)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        # One side ended (or go_down() cut it): end the other too, as a dead server would.
        with self._lock:
            self._conns.discard(src)
            self._conns.discard(dst)
        _kill(src)
        _kill(dst)


def _kill(sock: socket.socket) -> None:
    """Shut down (waking a thread blocked in recv) and close, ignoring what is already gone."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass
