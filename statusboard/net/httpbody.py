"""A check's body, read within the caps and decoded here: gzip and deflate, stacked and multi-member, never more
than BODY_LIMIT produced nor RAW_LIMIT read off the wire (a compression bomb stops at the cap). The same for an
answer from http.client (net/plainhttp.py) or from urllib3 (net/urllib3get.py): both read raw bytes."""

from __future__ import annotations

import zlib
from typing import Any, List, Optional

from statusboard.net.httpfail import CheckError

BODY_LIMIT = 1024 * 1024     # bytes of body a check reads at most, after decoding (README: Configuration)
RAW_LIMIT = 2 * BODY_LIMIT   # bytes read off the wire, however little they decode to
CHUNK = 64 * 1024
CODINGS = {"gzip": "gzip", "x-gzip": "gzip", "deflate": "deflate"}   # Content-Encoding -> what undoes it


class _Decoder:
    """One Content-Encoding undone: gzip (every member), or deflate with or without its zlib header, as servers
    send both. At most `limit` bytes come out of a call; what it has not used yet is kept for the next."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self._z = zlib.decompressobj(16 + zlib.MAX_WBITS if coding == "gzip" else zlib.MAX_WBITS)
        self._raw = coding == "gzip"   # deflate tries the zlib header first, then raw deflate, once
        self._started = False
        self._pending = b""

    def feed(self, data: bytes, limit: int) -> bytes:
        """Decoded bytes of what came so far (data: more of the body; b"" to go on with what was kept)."""
        data, out = self._pending + data, []
        while data and limit > 0:
            try:
                piece = self._z.decompress(data, limit)
            except zlib.error:
                if self._started or self._raw:
                    raise CheckError(f"the body's {self.coding} encoding is broken") from None
                self._raw = True
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                continue
            self._started = True
            out.append(piece)
            limit -= len(piece)
            if self._z.eof:
                data = self._z.unused_data
                if self.coding != "gzip" or not data.strip(b"\0"):
                    data = b""   # what follows a deflate stream, or a gzip's zero padding, is not body
                    break
                self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)   # the next gzip member
                continue
            data = self._z.unconsumed_tail
        self._pending = data
        return b"".join(out)


def _decoders(header: Optional[str]) -> List[_Decoder]:
    """The decoders that undo a Content-Encoding such as `gzip` or `gzip, deflate`, last applied first; none
    when it names a coding a check cannot undo (the body is then searched as it came)."""
    codings = [c.strip().lower() for c in (header or "").split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if any(c not in CODINGS for c in codings):
        return []
    return [_Decoder(CODINGS[c]) for c in reversed(codings)]


def read_body(resp: Any, keep: bool) -> bytes:
    """Read the body to its end or to the limits, decoding it; the decoded bytes when `keep` (resp: an answer
    whose read(amount, decode_content=False) gives raw bytes, b"" at its end)."""
    chain = _decoders(resp.headers.get("Content-Encoding"))
    parts: List[bytes] = []
    size = raw = 0
    ended = False
    while size < BODY_LIMIT:
        data = b""
        if not ended and raw < RAW_LIMIT:
            data = resp.read(CHUNK, decode_content=False)
            raw += len(data)
            ended = not data
        for i, decoder in enumerate(chain):
            data = decoder.feed(data, BODY_LIMIT - size if i == len(chain) - 1 else RAW_LIMIT)
        if not data and (ended or raw >= RAW_LIMIT):
            break
        size += len(data)
        if keep:
            parts.append(data)
    return b"".join(parts)[:BODY_LIMIT] if keep else b""
