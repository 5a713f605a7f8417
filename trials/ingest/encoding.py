"""The text of bytes a person saved: the encodings saved pages, exports and dumps come in.

Browsers and spreadsheets save UTF-8 (with or without a byte-order mark), UTF-16 (Excel's
"Unicode text", Windows' Notepad) or a legacy Windows code page. UTF-8 and UTF-16 are tried
first because they fail loudly on the wrong input; Windows-1252 next, as Western European
spreadsheets save it; Latin-1 last, which reads any byte, so every input has a text.
"""

from __future__ import annotations

import codecs


def decode_text(data: bytes, *, head: bool = False) -> str:
    """``data`` as text; with ``head`` the bytes may end inside a character (a sniffed prefix)."""
    if data.startswith(codecs.BOM_UTF8):
        return _utf8(data[len(codecs.BOM_UTF8) :], head) or ""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "ignore" if head else "replace").removeprefix("\ufeff")
    # Mostly-ASCII UTF-16 without a byte-order mark shows a zero byte in every other position.
    sample = data[:200]
    if len(sample) >= 4 and sample[1::2].count(0) > len(sample) // 4 and 0 not in sample[0::2]:
        text = _try(data, "utf-16-le", head)
        if text is not None:
            return text
    if len(sample) >= 4 and sample[0::2].count(0) > len(sample) // 4 and 0 not in sample[1::2]:
        text = _try(data, "utf-16-be", head)
        if text is not None:
            return text
    text = _utf8(data, head)
    if text is not None:
        return text
    return _try(data, "cp1252", head) or data.decode("latin-1")


def _utf8(data: bytes, head: bool) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if head and exc.start > len(data) - 4:  # cut inside the last character
            return data[: exc.start].decode("utf-8", "ignore")
        return None


def _try(data: bytes, encoding: str, head: bool) -> str | None:
    try:
        return data.decode(encoding, "ignore" if head else "strict")
    except UnicodeDecodeError:
        return None
