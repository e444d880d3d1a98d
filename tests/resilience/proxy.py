"""A loopback TCP proxy the tests can cut and restore, so that a service "going down" and
"coming back" is real network behaviour for the code under test: connections refused,
open connections reset, or (``stall``) connections accepted and never answered, as when a
host vanishes from the network."""

import contextlib
import socket
import threading


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def is_listening(host, port):
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


class TcpProxy:
    """Forwards 127.0.0.1:``port`` to ``target`` while up.

    ``stop()`` closes the listening socket and every open connection (clients see refused
    connections and resets); ``stall()`` keeps accepting but forwards nothing (clients see
    timeouts); ``start()`` serves again on the same port.
    """

    def __init__(self, target_host, target_port, port=None):
        self.target = (target_host, target_port)
        self.port = port or free_port()
        self.listener = None
        self.connections = []
        self.lock = threading.Lock()
        self.stalled = False

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def start(self):
        self.stalled = False
        if self.listener is not None:
            return self
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def stall(self):
        """Accept connections but never answer, and stop answering on open ones."""
        self.start()
        self.stalled = True
        self._close_connections()

    def stop(self):
        listener, self.listener = self.listener, None
        if listener is not None:
            # shutdown() wakes the thread blocked in accept(); close() alone may not.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        self._close_connections()

    def _close_connections(self):
        with self.lock:
            connections, self.connections = self.connections, []
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()

    def _accept(self, listener):
        while True:
            try:
                client, _address = listener.accept()
            except OSError:
                return
            if self.stalled:
                with self.lock:
                    self.connections.append(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.connections += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source, sink):
        try:
            while not self.stalled:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for connection in (source, sink):
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
