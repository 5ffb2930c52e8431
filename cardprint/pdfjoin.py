"""Join PDFs that reportlab wrote, one chunk of cards each, into one PDF written as it goes.

reportlab keeps every page of a document in memory until ``save()``; 100,000 cards would hold
200,000 pages. So the renderer draws a chunk of a few hundred cards per reportlab document and
this module appends the chunk's objects to the output at once: objects are renumbered, the
chunk's catalogue and info dictionary are dropped, and the chunk's page tree becomes a child of
one root page tree (PDF 1.7, 7.7.3: page trees nest). What stays in memory for the whole file is
one offset per object (8 bytes) and one reference per chunk.

This reads only what our own reportlab version writes (a classic cross-reference table, no
object streams); it is not a general PDF parser, and it refuses anything else.
"""

from __future__ import annotations

import hashlib
import re
from array import array
from typing import BinaryIO

HEADER = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
_CATALOG, _PAGES, _INFO = 1, 2, 3
_FIRST_FREE = 4
_REF = re.compile(rb"(?<![\d.])(\d+) 0 R(?![A-Za-z])")
_SUBSET_TAG = re.compile(rb"/[A-Z]{6}\+")
_STREAM = re.compile(rb"\bstream\r?\n")


class UnexpectedPdf(ValueError):
    """A chunk that is not the kind of PDF this joiner reads."""


def _chunk_tag(index: int) -> bytes:
    """Six capital letters naming the font subsets of one chunk: viewers that cache fonts by
    name must not mix the glyph tables of two chunks (each chunk subsets its fonts anew)."""
    letters = []
    for _ in range(6):
        index, rest = divmod(index, 26)
        letters.append(65 + rest)
    return bytes(reversed(letters))


class PdfJoiner:
    """Write chunks to ``out`` as they come; ``close()`` writes the page tree and the xref."""

    def __init__(self, out: BinaryIO, *, title: str) -> None:
        self._out = out
        self._title = title
        self._position = 0
        self._offsets = array("Q", [0, 0, 0, 0])  # object 0 and the three written at the end
        self._kids: list[int] = []
        self._page_count = 0
        self._chunks = 0
        self._digest = hashlib.md5(usedforsecurity=False)
        self._write(HEADER)

    @property
    def page_count(self) -> int:
        return self._page_count

    def _write(self, data: bytes) -> None:
        self._out.write(data)
        self._digest.update(data)
        self._position += len(data)

    def add(self, pdf: bytes, *, pages: int) -> None:
        """Append the pages of ``pdf`` (a whole reportlab document)."""
        objects, root = _read_objects(pdf)
        catalog = objects.pop(root)
        pages_ref = re.search(rb"/Pages (\d+) 0 R", catalog)
        if pages_ref is None:
            raise UnexpectedPdf("the catalogue has no page tree")
        chunk_pages = int(pages_ref.group(1))
        info = _trailer_ref(pdf, b"Info")
        if info is not None:
            objects.pop(info, None)
        renumber = {old: len(self._offsets) + i for i, old in enumerate(sorted(objects))}
        tag = b"/" + _chunk_tag(self._chunks) + b"+"

        def new_ref(match: re.Match[bytes]) -> bytes:
            number = int(match.group(1))
            if number not in renumber:
                raise UnexpectedPdf(f"a reference to object {number}, which was dropped")
            return b"%d 0 R" % renumber[number]

        for old in sorted(objects):
            body = objects[old]
            stream = _STREAM.search(body)
            head, tail = (body[: stream.start()], body[stream.start() :]) if stream else (body, b"")
            head = _SUBSET_TAG.sub(tag, _REF.sub(new_ref, head))
            if old == chunk_pages:
                head = head.replace(b"/Type /Pages", b"/Parent 2 0 R /Type /Pages", 1)
            self._offsets.append(self._position)
            self._write(b"%d 0 obj\n" % renumber[old] + head + tail + b"endobj\n")
        self._kids.append(renumber[chunk_pages])
        self._page_count += pages
        self._chunks += 1

    def close(self) -> None:
        kids = b" ".join(b"%d 0 R" % k for k in self._kids)
        self._object(
            _PAGES, b"<< /Type /Pages /Count %d /Kids [ %s ] >>" % (self._page_count, kids)
        )
        self._object(_CATALOG, b"<< /Type /Catalog /Pages 2 0 R /PageMode /UseNone >>")
        title = b"<feff" + self._title.encode("utf-16-be").hex().encode() + b">"  # PDF text
        self._object(_INFO, b"<< /Title %s /Producer (passengine cardprint) >>" % title)
        # The file's identifier is a digest of its bytes: the same cards give the same file.
        file_id = self._digest.hexdigest().encode()
        start = self._position
        self._write(b"xref\n0 %d\n0000000000 65535 f \n" % len(self._offsets))
        for first in range(1, len(self._offsets), 10_000):  # in slices: 20 bytes per object
            batch = self._offsets[first : first + 10_000]
            self._write(b"".join(b"%010d 00000 n \n" % offset for offset in batch))
        self._write(
            b"trailer\n<< /Size %d /Root 1 0 R /Info 3 0 R /ID [<%s><%s>] >>\n"
            b"startxref\n%d\n%%%%EOF\n" % (len(self._offsets), file_id, file_id, start)
        )

    def _object(self, number: int, body: bytes) -> None:
        self._offsets[number] = self._position
        self._write(b"%d 0 obj\n%s\nendobj\n" % (number, body))


def _trailer_ref(pdf: bytes, key: bytes) -> int | None:
    trailer = pdf.rfind(b"trailer")
    match = re.search(rb"/" + key + rb" (\d+) 0 R", pdf[trailer:])
    return int(match.group(1)) if match else None


def _read_objects(pdf: bytes) -> tuple[dict[int, bytes], int]:
    """Object number → its body (between ``n 0 obj\\n`` and ``endobj``), and the root's number."""
    startxref = pdf.rfind(b"startxref")
    match = re.match(rb"startxref\s+(\d+)", pdf[startxref:])
    if startxref < 0 or match is None:
        raise UnexpectedPdf("no startxref")
    xref = int(match.group(1))
    table = re.match(rb"xref\s+0 (\d+)\s+", pdf[xref:])
    if table is None:
        raise UnexpectedPdf("no classic cross-reference table")
    count = int(table.group(1))
    entries_at = xref + table.end()
    offsets: list[tuple[int, int]] = []
    for number in range(1, count):
        entry = pdf[entries_at + 20 * number : entries_at + 20 * number + 18]
        if entry[-1:] == b"n":
            offsets.append((int(entry[:10]), number))
    offsets.sort()
    objects: dict[int, bytes] = {}
    for index, (offset, number) in enumerate(offsets):
        end = offsets[index + 1][0] if index + 1 < len(offsets) else xref
        body = pdf[offset:end]
        head = b"%d 0 obj\n" % number
        close = body.rfind(b"endobj")
        if not body.startswith(head) or close < 0:
            raise UnexpectedPdf(f"object {number} is not where the xref says")
        objects[number] = body[len(head) : close]
    root = _trailer_ref(pdf, b"Root")
    if root is None or root not in objects:
        raise UnexpectedPdf("no document catalogue")
    return objects, root
