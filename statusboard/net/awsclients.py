"""AWS clients per (profile, region), made off the checks' critical path and cheap to make again at a reload.

- One botocore loader for the whole process: a service model (megabytes of JSON, seconds of CPU on a Pi Zero)
  is read once and every session of every reload shares it, so a reload neither reads it again nor leaves the
  old copy behind.
- Clients are made on a thread of their own as soon as a runtime is built (`Clients.prepare`): at start and at
  a reload, beside the running checks, before the swap.
- A client is made without its credentials: they are got when the first request is signed, in the check's own
  thread and within its Deadline. A `credential_process` is ended when the deadline passes, and a CA bundle
  that is not a regular file is refused before anything reads it.
"""

from __future__ import annotations

import logging
import os
import subprocess
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import botocore.credentials
import botocore.exceptions
import botocore.loaders
import botocore.session

from statusboard.net import deadline
from statusboard.readfile import unfit

log = logging.getLogger(__name__)

Group = Tuple[Optional[str], Optional[str]]   # (profile, region); None: botocore's own default
AWS_FILES = (("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"), ("AWS_CONFIG_FILE", "~/.aws/config"))
AWS_FILE_BYTES = 1024 * 1024
CA_BUNDLE_BYTES = 16 * 1024 * 1024
CA_VARIABLES = ("AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE")
MODELS = ("service-2", "paginators-1", "endpoint-rule-set-1")

_loader: Optional[botocore.loaders.Loader] = None
_loader_lock = threading.Lock()


def shared_loader() -> botocore.loaders.Loader:
    """The process's one botocore loader: each service model is read once, whatever the reloads."""
    global _loader
    with _loader_lock:
        if _loader is None:
            _loader = botocore.loaders.create_loader()
        return _loader


def _unfit_file(path: str, limit: int, what: str = "") -> Optional[str]:
    try:
        why = unfit(os.stat(os.path.expanduser(path)), limit)
    except OSError:
        return None   # absent or unreadable: botocore says so in its own words
    return f"{what}{path} {why}: botocore cannot read it" if why else None


def aws_files_problem() -> Optional[str]:
    """Why botocore must not read its credentials or config file (a FIFO would hang the check, a device or a
    huge file would fill memory), or None when each is a sensible regular file or absent."""
    for variable, default in AWS_FILES:
        why = _unfit_file(os.environ.get(variable) or default, AWS_FILE_BYTES)
        if why:
            return why
    return None


def ca_bundle_problem(session: Optional[botocore.session.Session] = None) -> Optional[str]:
    """Why the CA bundle botocore would read (AWS_CA_BUNDLE, REQUESTS_CA_BUNDLE, a profile's ca_bundle) must
    not be read: a FIFO would hang the check past its deadline, a device would fill memory."""
    paths = [(os.environ.get(v), v) for v in CA_VARIABLES]
    if session is not None:
        paths.append((session.get_config_variable("ca_bundle"), "the AWS profile's ca_bundle"))
    for path, where in paths:
        if path:
            why = _unfit_file(path, CA_BUNDLE_BYTES, f"the CA bundle ({where}) ")
            if why:
                return why
    return None


def default_region(profile: Optional[str]) -> Optional[str]:
    """The region botocore takes when none is given: AWS_DEFAULT_REGION (or AWS_REGION), else the profile's
    region in ~/.aws/config; None when there is none, or the files must not or cannot be read."""
    if aws_files_problem():
        return None
    try:
        found = botocore.session.Session(profile=profile).get_config_variable("region")
    except (botocore.exceptions.BotoCoreError, OSError, ValueError):
        return None
    return str(found) if found else None


class CredentialsTimedOut(botocore.exceptions.CredentialRetrievalError):
    """The credential_process did not finish within the check's deadline (it was ended)."""


class _DeadlinePopen(subprocess.Popen):
    """A credential_process that may run only until the deadline of the check that started it."""

    def communicate(self, input: Any = None, timeout: Optional[float] = None) -> Tuple[Any, Any]:
        """Wait for the process until the thread's Deadline (if any); end it and raise when that passes."""
        watch = deadline.current()
        if watch is not None:
            timeout = max(0.0, watch.at - time.monotonic())
        try:
            return super().communicate(input, timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            super().communicate()
            raise CredentialsTimedOut(provider="custom-process",
                                      error_msg="it did not finish within the check's timeout") from None


class _Later(botocore.credentials.Credentials):
    """Credentials got when the first request is signed (in the check's thread, within its Deadline) instead of
    when the client is made; a failure is raised to that request and tried again at the next one."""

    def __init__(self, resolver: Any) -> None:   # no super().__init__: nothing is known yet
        self._resolver = resolver
        self.method = "statusboard-later"   # looked at when the client is made: nothing to resolve for it
        self._got: Optional[botocore.credentials.Credentials] = None
        self._lock = threading.Lock()

    def _real(self) -> Optional[botocore.credentials.Credentials]:
        with self._lock:
            if self._got is None:
                self._got = self._resolver.load_credentials()
            return self._got

    def get_frozen_credentials(self) -> Any:
        """The credentials to sign with (None: botocore then says there are none)."""
        real = self._real()
        return real.get_frozen_credentials() if real is not None else None

    def __getattr__(self, name: str) -> Any:   # access_key, secret_key, token, account_id, method
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._real(), name, None)


class _LaterProvider:
    """botocore's credential_provider component, answering with _Later credentials."""

    def __init__(self, resolver: Any) -> None:
        self.resolver = resolver
        for provider in getattr(resolver, "providers", ()):
            if isinstance(provider, botocore.credentials.ProcessProvider):
                provider._popen = _DeadlinePopen   # botocore's own hook for how the process is started

    def load_credentials(self) -> _Later:
        """Credentials to be got when first needed."""
        return _Later(self.resolver)


def session(profile: Optional[str]) -> botocore.session.Session:
    """A botocore session of a profile, sharing the process's loader, whose credentials wait for a request."""
    core = botocore.session.Session(profile=profile)
    core.register_component("data_loader", shared_loader())
    core.register_component("credential_provider",
                            _LaterProvider(botocore.credentials.create_credential_resolver(core)))
    return core


MakeClient = Callable[[botocore.session.Session, Group], Any]


class _Making:
    """One client being made: done when it is made, or when making it failed."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.client: Any = None
        self.error: Optional[BaseException] = None
        self.at: Optional[float] = None   # time.monotonic() when it was done


class Clients:
    """The clients of one service, one per (profile, region), made on a thread of their own as soon as they are
    asked for; a check waits for its own."""

    def __init__(self, service: str, make: MakeClient) -> None:
        self.service = service
        self._make = make
        self._lock = threading.Lock()
        self._make_lock = threading.Lock()   # a botocore session makes one client at a time
        self._making: Dict[Group, _Making] = {}
        self._sessions: Dict[Optional[str], botocore.session.Session] = {}

    def prepare(self, groups: Sequence[Group]) -> None:
        """Start making these groups' clients in the background (the first check then finds them made)."""
        self._claim(groups)

    def _claim(self, groups: Sequence[Group]) -> Dict[Group, _Making]:
        """Each group's client, being made or made; a thread starts making those nobody asked for yet."""
        with self._lock:
            new = [g for g in dict.fromkeys(groups) if g not in self._making]
            for group in new:
                self._making[group] = _Making()
            out = {g: self._making[g] for g in groups}
        if new:
            threading.Thread(target=self._make_each, args=([(g, out[g]) for g in new],),
                             name=f"aws-{self.service}-clients", daemon=True).start()
        return out

    def session(self, profile: Optional[str]) -> botocore.session.Session:
        """The session of a profile, made once by these clients."""
        with self._lock:
            core = self._sessions.get(profile)
        if core is None:
            core = session(profile)
            with self._lock:
                core = self._sessions.setdefault(profile, core)
        return core

    def _make_each(self, groups: List[Tuple[Group, _Making]]) -> None:
        for group, making in groups:
            began = time.monotonic()
            try:
                with self._make_lock:
                    making.client = self._make(self.session(group[0]), group)
            except BaseException as exc:  # noqa: BLE001 - the check that waits for it says why
                making.error = exc
                with self._lock:   # the next check tries again
                    if self._making.get(group) is making:
                        del self._making[group]
            making.at = time.monotonic()
            log.debug("%s client for %s made in %.2f s", self.service, group, making.at - began)
            making.done.set()

    def wait(self, limit: float) -> None:
        """Wait (at most `limit` seconds) until every client asked for is made (or failed)."""
        end = time.monotonic() + limit
        with self._lock:
            making = list(self._making.values())
        for one in making:
            one.done.wait(max(0.0, end - time.monotonic()))

    def get(self, group: Group, limit: float) -> Tuple[Any, float]:
        """(the client, when it was made: time.monotonic()), waiting at most `limit` seconds for it to be made;
        raises what making it raised, or TimeoutError."""
        making = self._claim([group])[group]
        if not making.done.wait(limit):
            raise TimeoutError(limit)
        if making.error is not None:
            raise making.error
        return making.client, making.at or time.monotonic()
