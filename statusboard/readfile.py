"""Reading a small file the board was pointed at, safely: a FIFO, a device or a huge file is refused, not waited
on or read into memory."""

from __future__ import annotations

import os
import stat
from typing import Optional, Tuple


class NotAFile(OSError):
    """The path is not a regular file of a sensible size; str() says what it is instead (without the path)."""


def read_small(path: str, limit: int) -> bytes:
    """The bytes of the regular file at path, at most `limit` of them; NotAFile for anything else (a FIFO or a
    device is opened without blocking and never read), OSError when it cannot be opened."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        why = unfit(os.fstat(fd), limit)
        if why:
            raise NotAFile(why)
        os.set_blocking(fd, True)
        chunks = []
        left = limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 65536))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > limit:   # it grew while being read
            raise NotAFile(f"is larger than {_size(limit)}")
        return data
    finally:
        os.close(fd)


def unfit(info: os.stat_result, limit: int) -> Optional[str]:
    """Why a file with this stat cannot be read as a small file (None: it can)."""
    if stat.S_ISDIR(info.st_mode):
        return "is a directory, not a file"
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file (a pipe, socket or device)"
    if info.st_size > limit:
        return f"is larger than {_size(limit)}"
    return None


def _size(limit: int) -> str:
    return f"{limit // 1024} KB" if limit >= 1024 else f"{limit} bytes"


CREDENTIALS_BYTES = 4096   # a user name and a password


def login(path: Optional[str], env_user: str, env_password: str) -> Tuple[Optional[str], Optional[str]]:
    """(user, password) from a credentials file (the user on its first line, the password on its second), else
    from the two environment variables; (None, None) for none. OSError when the file cannot be read (or is not
    a small regular file)."""
    if path:
        try:
            lines = read_small(path, CREDENTIALS_BYTES).decode("utf-8").splitlines()
        except UnicodeDecodeError:
            raise OSError("not UTF-8 text") from None
        return (lines[0].strip() if lines else None), (lines[1] if len(lines) > 1 else None)
    return os.environ.get(env_user), os.environ.get(env_password)
