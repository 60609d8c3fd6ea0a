"""Name resolution and connecting within a deadline, trying a host's addresses as RFC 8305 describes.

The system resolver cannot be told a deadline (a resolver that never answers holds getaddrinfo for 10 s or
more), so names are resolved on a thread of their own and given up at the deadline; checks that ask the same
question share one thread, and the threads are bounded. A name with several
addresses is tried the "happy eyeballs" way: families interleaved, the next attempt started 250 ms after the
last one while the earlier ones go on, the first to connect wins; a refusal moves on at once.
"""

from __future__ import annotations

import errno
import queue
import selectors
import socket
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

ATTEMPT_DELAY = 0.25   # RFC 8305's Connection Attempt Delay
AddrInfo = Tuple[Any, ...]


class ResolveTimeout(socket.gaierror):
    """The name had no answer before the deadline."""


class _Lookup:
    """One getaddrinfo; every check that asks the same question while it is unanswered waits on it."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: Any = None


_lookups: Dict[Tuple[str, int], _Lookup] = {}
_room = threading.Condition()
MAX_LOOKUPS = 16   # resolver threads at once: a resolver that never answers cannot make one per check


def resolve(host: str, port: Optional[int], deadline: float, kind: int = socket.SOCK_STREAM) -> List[AddrInfo]:
    """getaddrinfo for host, given up at `deadline` (a time.monotonic() value). A name asked for again while
    the first question is unanswered waits for that one (whatever the port), and at most MAX_LOOKUPS names are
    asked at once: the others wait for room, within their deadline."""
    try:   # an address needs no resolver, and no thread
        return socket.getaddrinfo(host, port, 0, kind, 0, socket.AI_NUMERICHOST)
    except (socket.gaierror, UnicodeError):
        pass
    key = (host, kind)
    with _room:
        while key not in _lookups and len(_lookups) >= MAX_LOOKUPS:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ResolveTimeout(errno.ETIMEDOUT, f"no answer for {host} in time: the resolver has "
                                                      f"{len(_lookups)} questions unanswered")
            _room.wait(left)
        lookup = _lookups.get(key)
        if lookup is None:
            lookup = _lookups[key] = _Lookup()
            _resolvers.ask(key, lookup)
    if not lookup.done.wait(max(0.0, deadline - time.monotonic())):
        raise ResolveTimeout(errno.ETIMEDOUT, f"no answer for {host} from the resolver in time")
    if isinstance(lookup.result, BaseException):
        raise lookup.result
    return [(family, kind_, proto, name, (address[0], port or 0, *address[2:]))
            for family, kind_, proto, name, address in lookup.result]


class _Resolvers:
    """The threads that ask the system resolver: a question goes to an idle one, else to a new one, up to
    MAX_LOOKUPS (then it waits for the first that is free); an idle one ends after a minute without a question."""

    IDLE = 60.0

    def __init__(self) -> None:
        self._questions: "queue.SimpleQueue[Tuple[Tuple[str, int], _Lookup]]" = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0   # threads waiting for a question, less the questions already promised to them

    def ask(self, key: Tuple[str, int], lookup: _Lookup) -> None:
        """Have the question answered: by an idle thread, a new one, or the first one free."""
        self._questions.put((key, lookup))
        with self._lock:
            if self._idle > 0:
                self._idle -= 1
            elif self._threads < MAX_LOOKUPS:
                self._threads += 1
                threading.Thread(target=self._run, name="resolver", daemon=True).start()

    def _run(self) -> None:
        while True:
            try:
                key, lookup = self._questions.get(timeout=self.IDLE)
            except queue.Empty:
                with self._lock:
                    if self._idle > 0 and self._questions.empty():
                        self._idle -= 1
                        self._threads -= 1
                        return
                continue
            _ask(key, lookup)
            with self._lock:
                self._idle += 1


_resolvers = _Resolvers()


def _ask(key: Tuple[str, int], lookup: _Lookup) -> None:
    host, kind = key
    try:
        lookup.result = socket.getaddrinfo(host, None, 0, kind)
    except Exception as exc:  # noqa: BLE001 - handed to the callers
        lookup.result = exc
    with _room:
        _lookups.pop(key, None)
        _room.notify_all()
    lookup.done.set()


def interleave(infos: Sequence[AddrInfo]) -> List[AddrInfo]:
    """Addresses in RFC 8305 order: the first family returned, then alternating with the other one."""
    if not infos:
        return []
    first = infos[0][0]
    ours = [i for i in infos if i[0] == first]
    others = [i for i in infos if i[0] != first]
    out: List[AddrInfo] = []
    for n in range(max(len(ours), len(others))):
        out += ours[n:n + 1] + others[n:n + 1]
    return out


def connect(address: Tuple[str, int], deadline: float, timeout: Optional[float] = None,
            source_address: Optional[Tuple[str, int]] = None, socket_options: Sequence[Tuple[int, int, Any]] = (),
            note: Callable[[socket.socket], Any] = lambda sock: None) -> socket.socket:
    """A connected TCP socket to host:port, or an OSError (socket.timeout at the deadline)."""
    host, port = address
    order = interleave(resolve(host, port, deadline))
    if not order:
        raise socket.gaierror(errno.ENOENT, f"no address for {host}")
    if len(order) == 1 and not source_address:   # nothing to race: a plain connect within the deadline
        return _one(order[0], deadline, timeout, socket_options, note)
    selector = selectors.PollSelector()   # no file descriptor of its own, unlike epoll
    pending: List[socket.socket] = []
    errors: List[OSError] = []
    winner: Optional[socket.socket] = None
    start_next = time.monotonic()
    try:
        while winner is None:
            now = time.monotonic()
            if now >= deadline:
                raise socket.timeout(f"connect to {host}:{port} timed out")
            if order and (not pending or now >= start_next):
                winner = _attempt(order.pop(0), source_address, socket_options, note, selector, pending, errors)
                start_next = time.monotonic() + ATTEMPT_DELAY
                continue
            if not pending:
                raise errors[-1]
            wait = deadline - now if not order else min(deadline, start_next) - now
            for key, _ in selector.select(max(0.0, wait)):
                sock = key.fileobj
                selector.unregister(sock)
                pending.remove(sock)  # type: ignore[arg-type]
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)  # type: ignore[union-attr]
                if code == 0:
                    winner = sock  # type: ignore[assignment]
                    break
                errors.append(OSError(code, f"{errno.errorcode.get(code, code)} connecting to {host}:{port}"))
                sock.close()  # type: ignore[union-attr]
                start_next = time.monotonic()   # a refusal: the next address at once
    finally:
        for sock in pending:
            sock.close()
        selector.close()
    winner.setblocking(True)
    remaining = deadline - time.monotonic()
    winner.settimeout(max(0.001, min(timeout, remaining) if timeout is not None else remaining))
    return winner


def _socket(info: AddrInfo, socket_options: Sequence[Tuple[int, int, Any]], note: Callable[[socket.socket], Any],
            source_address: Optional[Tuple[str, int]] = None) -> socket.socket:
    """A socket for one address, noted, its options set and bound where asked (closed if that fails)."""
    family, kind, proto, _, _ = info
    sock = socket.socket(family, kind, proto)
    note(sock)
    try:
        for level, option, value in socket_options:
            sock.setsockopt(level, option, value)
        if source_address:
            sock.bind(source_address)
    except BaseException:
        sock.close()
        raise
    return sock


def _one(info: AddrInfo, deadline: float, timeout: Optional[float],
         socket_options: Sequence[Tuple[int, int, Any]], note: Callable[[socket.socket], Any]) -> socket.socket:
    """A blocking connect to one address, given up at the deadline."""
    sockaddr = info[4]
    sock = _socket(info, socket_options, note)
    try:
        sock.settimeout(max(0.001, deadline - time.monotonic()))
        sock.connect(sockaddr)
    except socket.timeout:
        sock.close()
        raise socket.timeout(f"connect to {sockaddr[0]}:{sockaddr[1]} timed out") from None
    except BaseException:
        sock.close()
        raise
    remaining = deadline - time.monotonic()
    sock.settimeout(max(0.001, min(timeout, remaining) if timeout is not None else remaining))
    return sock


def _attempt(info: AddrInfo, source_address: Optional[Tuple[str, int]],
             socket_options: Sequence[Tuple[int, int, Any]], note: Callable[[socket.socket], Any],
             selector: selectors.BaseSelector, pending: List[socket.socket],
             errors: List[OSError]) -> Optional[socket.socket]:
    """Start one non-blocking connect; the socket when it connected at once."""
    sockaddr = info[4]
    try:
        sock = _socket(info, socket_options, note, source_address)
    except OSError as exc:
        errors.append(exc)
        return None
    try:
        sock.setblocking(False)
        code = sock.connect_ex(sockaddr)
    except OSError as exc:
        sock.close()
        errors.append(exc)
        return None
    if code == 0:
        return sock
    if code in (errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY):
        selector.register(sock, selectors.EVENT_WRITE)
        pending.append(sock)
        return None
    sock.close()
    errors.append(OSError(code, f"{errno.errorcode.get(code, code)} connecting to {sockaddr[0]}"))
    return None
