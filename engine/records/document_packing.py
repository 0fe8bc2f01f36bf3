"""A filled document stored as what it adds to its template: the parts of the .docx the filling changed.

A filled .docx is its template with a few parts rewritten (the body, word/document.xml, and the properties,
docProps/core.xml); the rest — styles, theme, fonts, about 35 KB compressed — is the template's, byte for byte. A
case holds several documents, so storing each whole would make a city's database mostly copies of the same styles.
A document is stored *compact*: a zip of the parts that differ from the template, its comment naming every part
in order; the whole document is put back together (`expand`) by splicing the parts' compressed bytes, those of
the compact zip and those of the template (the bundle's file, which a version never changes), without inflating
or deflating anything. The document's sha256 is that of the expanded document, the bytes a download gets.
"""
from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass, replace

MARK = b"lawflow-compact:1\n"          # the compact zip's comment begins so; the part names follow, one a line
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")


@dataclass(frozen=True)
class Part:
    """One part of a zip with its compressed bytes as stored."""

    name: str
    method: int
    flags: int
    date_time: tuple
    crc: int
    size: int
    raw: bytes


def parts(content: bytes) -> list[Part]:
    """The parts of a zip in order, each with its compressed bytes."""
    found = []
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for info in archive.infolist():
            fields = _LOCAL.unpack_from(content, info.header_offset)
            start = info.header_offset + _LOCAL.size + fields[-2] + fields[-1]
            found.append(Part(info.filename, info.compress_type, info.flag_bits & ~0x08, info.date_time, info.CRC,
                              info.file_size, content[start:start + info.compress_size]))
    return found


def text_part(like: Part, text: str) -> Part:
    """A part of the same name and date holding `text`, deflated."""
    data = text.encode("utf-8")
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return replace(like, method=zipfile.ZIP_DEFLATED, crc=zlib.crc32(data), size=len(data),
                   raw=packer.compress(data) + packer.flush())


def inflate(part: Part) -> bytes:
    """A part's bytes as written."""
    return zlib.decompress(part.raw, -15) if part.method == zipfile.ZIP_DEFLATED else part.raw


def assemble(found: list[Part], comment: bytes = b"") -> bytes:
    """A zip of the parts, their compressed bytes copied as they are."""
    out, central = bytearray(), bytearray()
    for part in found:
        name = part.name.encode("utf-8")
        flags = part.flags | (0x800 if not part.name.isascii() else 0)
        year, month, day, hour, minute, second = part.date_time
        when = (hour << 11 | minute << 5 | second // 2, (year - 1980) << 9 | month << 5 | day)
        central += _CENTRAL.pack(0x02014B50, 20, 20, flags, part.method, *when, part.crc, len(part.raw), part.size,
                                 len(name), 0, 0, 0, 0, 0, len(out)) + name
        out += _LOCAL.pack(0x04034B50, 20, flags, part.method, *when, part.crc, len(part.raw), part.size,
                           len(name), 0) + name + part.raw
    start = len(out)
    return bytes(out + central + _END.pack(0x06054B50, 0, 0, len(found), len(found), len(central), start,
                                           len(comment)) + comment)


def compact(template: bytes, filled: bytes) -> bytes:
    """The filled document as the parts that differ from its template's."""
    own = {(p.name, p.crc, p.size, inflate(p)) for p in parts(template)}
    found = parts(filled)
    changed = [p for p in found if (p.name, p.crc, p.size, inflate(p)) not in own]
    return assemble(changed, MARK + "\n".join(p.name for p in found).encode("utf-8"))


def is_compact(content: bytes | None) -> bool:
    """Whether stored content is a compact document (one filled before compact storage is whole)."""
    end = content.rfind(b"PK\x05\x06", -(_END.size + 65535)) if content else -1
    return end >= 0 and content[end + _END.size:end + _END.size + len(MARK)] == MARK


def order(content: bytes) -> list[str]:
    """The part names of the whole document a compact one stands for."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return archive.comment[len(MARK):].decode("utf-8").split("\n")


def expand(template: bytes, content: bytes) -> bytes:
    """The whole document from its compact content and its template."""
    own = {p.name: p for p in parts(template)}
    own.update({p.name: p for p in parts(content)})
    return assemble([own[name] for name in order(content)])
