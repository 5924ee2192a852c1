"""Reading table rows straight from the pages of an SQLite file, for a store SQLite itself can no longer open.

`store salvage` first asks SQLite for every row it can still read; where the
file's header, schema or an interior page is damaged, whole ranges of rows
are out of SQLite's reach although their leaf pages are intact. This reader
walks the file page by page, parses every table leaf page (following overflow
chains for long answers) and yields each row's values; a page it cannot parse
is counted and skipped. Pages on the free list (rows deleted by `store prune`)
are left out when the header still names them.

Format: https://www.sqlite.org/fileformat2.html (b-tree pages, cells, records).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

LEAF_TABLE = 0x0D


@dataclass
class PageScan:
    pages: int = 0
    unreadable_pages: int = 0


def read_varint(data: bytes, offset: int) -> tuple[int, int]:
    """(value, next offset) of the SQLite varint at `offset`."""
    value = 0
    for i in range(9):
        byte = data[offset + i]
        if i == 8:
            return (value << 8) | byte, offset + 9
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, offset + i + 1
    raise ValueError("varint")  # pragma: no cover


def decode_record(payload: bytes) -> list:
    """The values of one record (NULL, integers, floats, text, blobs)."""
    header_size, offset = read_varint(payload, 0)
    types = []
    while offset < header_size:
        serial, offset = read_varint(payload, offset)
        types.append(serial)
    values: list = []
    body = header_size
    for serial in types:
        if serial == 0:
            values.append(None)
        elif 1 <= serial <= 6:
            size = (1, 2, 3, 4, 6, 8)[serial - 1]
            values.append(int.from_bytes(payload[body : body + size], "big", signed=True))
            body += size
        elif serial == 7:
            values.append(struct.unpack(">d", payload[body : body + 8])[0])
            body += 8
        elif serial in (8, 9):
            values.append(serial - 8)
        elif serial >= 12:
            size = (serial - 12) // 2
            chunk = payload[body : body + size]
            if len(chunk) != size:
                raise ValueError("record runs past its payload")
            values.append(chunk.decode("utf-8") if serial % 2 else bytes(chunk))
            body += size
        else:
            raise ValueError(f"reserved serial type {serial}")
    return values


def page_size_of(data: bytes) -> int:
    """The header's page size, or 4096 (SQLite's default) where the header is gone."""
    if data[:16] == b"SQLite format 3\x00":
        size = struct.unpack(">H", data[16:18])[0]
        size = 65536 if size == 1 else size
        if size >= 512 and size & (size - 1) == 0:
            return size
    return 4096


def free_pages(data: bytes, page_size: int) -> set[int]:
    """Page numbers on the free list (1-based), as far as the header and the trunk pages can be read."""
    found: set[int] = set()
    if data[:16] != b"SQLite format 3\x00":
        return found
    trunk = struct.unpack(">I", data[32:36])[0]
    while trunk and trunk not in found and trunk * page_size <= len(data):
        found.add(trunk)
        page = data[(trunk - 1) * page_size : trunk * page_size]
        next_trunk, count = struct.unpack(">II", page[:8])
        for i in range(min(count, (page_size - 8) // 4)):
            found.add(struct.unpack(">I", page[8 + 4 * i : 12 + 4 * i])[0])
        trunk = next_trunk
    return found


def table_rows(data: bytes, scan: PageScan) -> Iterator[tuple[int, list]]:
    """(rowid, values) of every cell on every table leaf page of the file."""
    page_size = page_size_of(data)
    reserved = data[20] if data[:16] == b"SQLite format 3\x00" else 0
    usable = page_size - reserved
    skip = free_pages(data, page_size)
    for number in range(1, len(data) // page_size + 1):
        if number in skip:
            continue
        page = data[(number - 1) * page_size : number * page_size]
        start = 100 if number == 1 else 0
        if page[start] != LEAF_TABLE:
            continue
        scan.pages += 1
        try:
            cells = struct.unpack(">H", page[start + 3 : start + 5])[0]
            pointers = [struct.unpack(">H", page[start + 8 + 2 * i : start + 10 + 2 * i])[0] for i in range(cells)]
        except struct.error:
            scan.unreadable_pages += 1
            continue
        for pointer in pointers:
            try:
                yield _cell(data, page, pointer, page_size, usable)
            except (ValueError, IndexError, UnicodeDecodeError, struct.error):
                scan.unreadable_pages += 1  # one bad cell: counted with the pages, the rest of the page still read


def _cell(data: bytes, page: bytes, pointer: int, page_size: int, usable: int) -> tuple[int, list]:
    size, offset = read_varint(page, pointer)
    rowid, offset = read_varint(page, offset)
    if rowid >= 1 << 63:
        rowid -= 1 << 64
    most_local = usable - 35
    if size <= most_local:
        payload = page[offset : offset + size]
    else:
        least = (usable - 12) * 32 // 255 - 23
        local = least + (size - least) % (usable - 4)
        local = local if local <= most_local else least
        gathered = bytearray(page[offset : offset + local])
        overflow = struct.unpack(">I", page[offset + local : offset + local + 4])[0]
        seen: set[int] = set()
        while overflow and len(gathered) < size:
            if overflow in seen or overflow * page_size > len(data):
                raise ValueError("broken overflow chain")
            seen.add(overflow)
            chunk = data[(overflow - 1) * page_size : overflow * page_size]
            overflow = struct.unpack(">I", chunk[:4])[0]
            gathered += chunk[4:usable][: size - len(gathered)]
        payload = bytes(gathered)
    if len(payload) != size:
        raise ValueError("payload cut short")
    return rowid, decode_record(payload)
