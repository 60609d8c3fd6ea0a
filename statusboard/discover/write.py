"""Writing config.yaml safely: a backup beside it (config.yaml.bak) and the new text, each written whole in a
temporary file with the original's mode and owner and renamed into place, so a reader never sees half a file and
a failure leaves the file as it was."""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import tempfile
import time
from typing import Callable, Iterator

from statusboard.discover import DiscoverError
from statusboard.discover.owner import Owner

BACKUP = ".bak"
LOCK_WAIT = 30.0   # seconds: another discover holds it for the few milliseconds of a write


def _like(owner: Owner, data: bytes, info: os.stat_result) -> str:
    """A temporary file beside config.yaml holding data, with config.yaml's mode and owner; its path."""
    directory = os.path.dirname(owner.real) or "."
    fd, path = tempfile.mkstemp(prefix=f".{os.path.basename(owner.real)}.", suffix=".discover", dir=directory)
    try:
        try:
            os.fchown(fd, info.st_uid, info.st_gid)
        except PermissionError:
            if (info.st_uid, info.st_gid) != (os.geteuid(), os.getegid()):
                raise DiscoverError(f"cannot keep {owner.path}'s owner (user {info.st_uid}, group {info.st_gid}) "
                                    "in a new file: run as root (sudo) or as its owner; nothing written") from None
        os.fchmod(fd, stat.S_IMODE(info.st_mode))
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        os.unlink(path)
        raise
    os.close(fd)
    return path


def _sync_dir(path: str) -> None:
    fd = os.open(os.path.dirname(path) or ".", os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def writable(owner: Owner) -> os.stat_result:
    """config.yaml's stat; DiscoverError when it is read-only (by its mode, for this user, or its file system)."""
    info = os.stat(owner.real)
    if not stat.S_IMODE(info.st_mode) & 0o222:
        raise DiscoverError(f"{owner.path} is read-only (mode {stat.S_IMODE(info.st_mode):04o}): nothing written; make "
                            "it writable first if it should change")
    if not os.access(owner.real, os.W_OK) or not os.access(os.path.dirname(owner.real) or ".", os.W_OK):
        readonly = bool(os.statvfs(owner.real).f_flag & os.ST_RDONLY)
        why = "is on a read-only file system" if readonly else "cannot be written by this user (sudo?)"
        raise DiscoverError(f"{owner.path} {why}: nothing written")
    return info


def apply(owner: Owner, new_text: str, check: Callable[[str], bool]) -> str:
    """Back config.yaml up, check the new text in a file beside it (check(path) says whether it passed), and put
    it in place; the backup's path. DiscoverError, with the file as it was, when anything fails."""
    info = writable(owner)
    try:
        new = _like(owner, new_text.encode("utf-8"), info)
    except OSError as exc:
        raise DiscoverError(f"cannot write beside {owner.path}: {exc.strerror or exc}; nothing written") from None
    try:
        if not check(new):
            raise DiscoverError(f"check refused the new {owner.path} (above): nothing written")
        backup = owner.real + BACKUP
        try:
            with _alone(owner):   # from reading the file again to renaming over it, no other discover writes
                with open(owner.real, "rb") as handle:
                    if handle.read() != owner.data:
                        raise DiscoverError(f"{owner.path} changed while discover ran: nothing written; run it "
                                            "again")
                try:
                    _put(owner, owner.data, info, backup)
                except OSError as exc:
                    raise DiscoverError(f"cannot write the backup {backup}: {exc.strerror or exc}; nothing "
                                        "written") from None
                os.replace(new, owner.real)
                _sync_dir(owner.real)
        except OSError as exc:
            raise DiscoverError(f"cannot write {owner.path}: {exc.strerror or exc}; nothing written") from None
        return backup
    finally:
        if os.path.exists(new):
            os.unlink(new)


@contextlib.contextmanager
def _alone(owner: Owner) -> Iterator[None]:
    """Hold the lock of config.yaml's directory: two discovers that write one file take turns, so the second
    sees the first's text and refuses instead of writing over it."""
    fd = os.open(os.path.dirname(owner.real) or ".", os.O_RDONLY)
    try:
        end = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > end:
                    raise DiscoverError(f"another program has held the lock on {owner.path}'s directory for "
                                        f"{LOCK_WAIT:.0f} s (another discover --apply?): nothing written") from None
                time.sleep(0.05)
            except OSError:   # a file system without locks (some NFS): the check of the text is all there is
                break
        yield
    finally:
        os.close(fd)   # and the lock with it


def _put(owner: Owner, data: bytes, info: os.stat_result, path: str) -> None:
    """Write data whole to path (with info's mode and owner), by renaming a temporary file over it."""
    temp = _like(owner, data, info)
    try:
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise
    _sync_dir(path)


def restore(owner: Owner, written: str) -> None:
    """Put the owner's text back, as it was (bytes, mode and owner), unless the file no longer holds what discover
    wrote (someone saved it since): then it is left as it is, and DiscoverError says so."""
    with _alone(owner):
        with open(owner.real, "rb") as handle:
            if handle.read() != written.encode("utf-8"):
                raise DiscoverError(f"{owner.path} was changed by someone else since discover wrote it, so it is "
                                    f"left as it is (the file before discover: {owner.real + BACKUP})")
        _put(owner, owner.data, os.stat(owner.real), owner.real)
