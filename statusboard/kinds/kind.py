"""What a kind of target declares in its one module: its config key, its spec and parser, its states, its check
(polled or pushed, one target or a batch), an example target, the library it needs, how a reload treats it, and
(a kind fed through the board's broker) how a message for one of its targets is written and read."""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass, field
from typing import (Callable, Generic, Hashable, List, Optional, Protocol, Sequence, Tuple, Type, TypeVar,
                    Union, runtime_checkable)

from statusboard.config import AwsSettings
from statusboard.config.mqtt import MqttSettings
from statusboard.config.schema import Section
from statusboard.model import Observation, Spec, Target
from statusboard.vocabulary import BOARD_STATES, States

S = TypeVar("S", bound=Spec)   # a kind's spec class
Clock = Callable[[], float]
Record = Callable[[Observation], None]
SECRET = "pw-s3cret"   # the password a kind's example writes wherever a target of it can hold one


class Link(Protocol):
    """The board's MQTT link as a pushed kind uses it (mqtt/link.py's MqttLink)."""

    settings: MqttSettings
    connected: threading.Event
    problem: Optional[str]   # why it is down (None: connected)

    def subscribe(self, topic: str, handler: Callable[[str, bytes], None]) -> None:
        """Hand every message on the topic to handler(topic, payload), from the link's thread."""

    def when_changed(self, call: Callable[[], None]) -> None:
        """Call this when the broker is found or lost."""


@dataclass(frozen=True)
class Context:
    """What a check may be given when it is made: the clock for people's times, every state of the board, the
    board's AWS defaults, and its MQTT link (None without an mqtt section)."""

    clock: Clock = time.time
    states: States = field(default_factory=lambda: dict(BOARD_STATES))
    aws: AwsSettings = AwsSettings()
    link: Optional[Link] = None


@runtime_checkable
class Check(Protocol):
    """A polled check: observe one target, never raise, finish by its deadline.

    `deadline` is a time.monotonic() value: when the check was due plus the target's timeout. A check that
    waited for a free worker has that much less time, so a round never outlasts its slowest timeout. None
    means the full timeout from now.
    """

    def observe(self, target: Target, deadline: Optional[float] = None) -> Observation:
        """Check the target once and say what was seen."""


@runtime_checkable
class BatchCheck(Check, Protocol):
    """A polled check that answers for many targets at once (EC2: one conversation per profile and region)."""

    def group(self, target: Target) -> Hashable:
        """Targets with the same group are observed together."""

    def observe_batch(self, targets: Sequence[Target], deadline: Optional[float] = None) -> List[Observation]:
        """Observe every target of one group, in the same order."""


@runtime_checkable
class Source(Protocol):
    """A pushed kind's feed: it writes each target's observations to the table itself, as they come."""

    def serve(self, targets: Sequence[Target], record: Record) -> None:
        """From now on, observations of these targets go to `record` (and none to an earlier one)."""

    def stop(self) -> None:
        """Record nothing more."""


Made = Union[Check, BatchCheck, Source]   # what a kind makes: which one says how it is run (runtime-checkable)


@dataclass(frozen=True)
class Feed(Generic[S]):
    """How a target of a kind fed through the board's broker is set from outside (`statusboard push` reads it):
    its topic, the most bytes a board reads of a message, how a message is read, and how a state is written."""

    topic: Callable[[S], str]                                      # (spec) -> the topic its messages come on
    limit: int                                                     # a longer message is not read
    read: Callable[[bytes, States, S], Tuple[Optional[str], str]]  # (message, the board's states, spec) ->
                                                                   # (state, or None when it says none; detail)
    write: Callable[[S, str, bytes], Tuple[bytes, Optional[str]]]  # (spec, state, the board's own JSON message
                                                                   # for it) -> (the message, or why none can be)


@dataclass(frozen=True)
class Kind(Generic[S]):
    """One kind of target, declared whole by its module; generic over its spec class."""

    key: str                                        # its key in a target of config.yaml
    parse: Callable[[Section, str], Optional[S]]    # (the target's section, key) -> its spec (the board's
                                                    # states, for a value that names one: section.states)
    make: Callable[[Context], Made]                 # its Check, BatchCheck (the scheduler batches its targets) or
                                                    # Source (pushed: no job, no worker); imports its libraries
    spec: Type[S]                                   # its spec: a frozen dataclass that names its `identity`
    example: str = ""                               # one target of it, as config.yaml writes it after the key (a
                                                    # password written as SECRET wherever a target can hold one)
    states: States = field(default_factory=dict)    # the states it adds, with colours and letters
    library: Optional[Tuple[str, str]] = None       # (module it imports, how to install it) beyond the base
    fresh_on_reload: bool = False                   # a reload makes its check anew (AWS: fresh sessions)
    fail_after: Optional[int] = None                # its default fail_after; None: the board's
    needs: Optional[Tuple[str, str]] = None         # (a top-level section it needs, what to say without it)
    feed: Optional[Feed[S]] = None                  # fed through the board's broker: how a target is set (push)

    def spec_of(self, target: Target) -> S:
        """The target's spec as this kind's class; TypeError for a target of another kind (config makes a
        target's spec with its own kind's parser, so a check never sees one)."""
        spec = target.spec
        if not isinstance(spec, self.spec):
            raise TypeError(f"target {target.name!r} ({target.kind}) holds a {type(spec).__name__}, "
                            f"not a {self.key} spec")
        return spec


def refusal(kind: object, module: str) -> Optional[str]:
    """Why the registry refuses what a kind's module declares (None: it is whole): a Kind, with a spec class
    that names its identity, the fields that say what a target of the kind watches (model.Spec), and an example
    target (tests/test_conformance.py holds every kind to its contract with it)."""
    if not isinstance(kind, Kind):
        return f"{module} declares no KIND (a Kind: kinds/kind.py says what it holds)"
    spec = kind.spec
    named = f"kind {kind.key!r} ({module})"
    if not (isinstance(spec, type) and dataclasses.is_dataclass(spec)):
        return f"{named}: its spec {spec!r} is not a dataclass"
    identity = getattr(spec, "identity", None)
    if not identity or not isinstance(identity, tuple) or not all(isinstance(n, str) for n in identity):
        return (f"{named}: its spec {spec.__name__} declares no identity: name the fields that say what a "
                f"target watches, as identity: ClassVar[Tuple[str, ...]] = (\"host\", \"port\")")
    unknown = [n for n in identity if n not in {f.name for f in dataclasses.fields(spec)}]
    if unknown:
        return f"{named}: the identity of {spec.__name__} names {', '.join(unknown)}, not fields of it"
    if not isinstance(kind.example, str) or not kind.example.strip():
        return (f"{named}: it declares no example: one target of it as config.yaml writes it after the key, as "
                f"example=\"{{host: db.example.com, port: 5432}}\"")
    return None


def long_form(parent: Section, key: str) -> Optional[Section]:
    """None when the value is the short (scalar) form, else the section of its long form."""
    value = parent.raw(key)
    if isinstance(value, dict):
        return parent.sub(key)
    return None


def one_of(sec: Section, keys: Tuple[str, str, str]) -> List[str]:
    """The selector keys present; a problem unless there is exactly one."""
    chosen = [k for k in keys if sec.has(k)]
    if len(chosen) != 1:
        sec.report(f"give exactly one of {keys[0]}, {keys[1]} or {keys[2]}"
                   + (f" (found {' and '.join(chosen)})" if chosen else ""))
    return chosen
