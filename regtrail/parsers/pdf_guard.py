"""PDF text and tables read within a bound on what reading them costs (memory, time, inflated content).

pdfplumber (pdfminer) inflates every content stream it reads and keeps a Python object per character, so
a few MB on the wire can cost gigabytes. Both PDF readers (generative-AI lists, cancellation notices) go
through `extract`, which:

1. refuses, before anything is parsed, a PDF whose streams inflate past `MAX_INFLATED_BYTES` in total
   (counted with a streaming zlib inflater that stops at the limit: a deflate bomb is never inflated whole);
2. runs pdfplumber in a child process whose address space is capped at `MAX_MEMORY_BYTES` and whose CPU
   time is capped at `MAX_SECONDS` (the parent also kills it after `wall_seconds` of wall time, and it dies
   with the parent when that is killed), and
   which refuses more than `MAX_PAGES` pages before reading any. Whatever the PDF holds (LZW or other
   filters, millions of text objects, a huge page tree), the reader's cost stays within these bounds.

The child returns plain data (each page's text and tables, exactly as pdfplumber gives them). A refusal
raises `PdfRefused`, whose message names the limit and the figure measured; a damaged file raises
`PdfUnreadable` with pdfminer's message. Run as `python -m regtrail.parsers.pdf_guard` it is the child.
"""

from __future__ import annotations

import base64
import ctypes
import json
import os
import re
import resource
import signal
import subprocess
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

MAX_PAGES = 2_000
"""Pages a PDF may have (real lists have tens; the page tree is read, no page is, before refusing)."""
MAX_INFLATED_BYTES = 64 * 1024 * 1024
"""Total size of the PDF's Flate streams once inflated (real lists: under 1 MB; the DOCX limit's figure)."""
MAX_MEMORY_BYTES = 512 * 1024 * 1024
"""Address space of the extraction process (RLIMIT_AS): past it the extraction is refused. With the caller's
own memory (the body, at most 100 MB on the wire, held once or twice) the two stay under 1 GB."""
MAX_SECONDS = 30
"""CPU seconds of the extraction process (RLIMIT_CPU; the largest real list needs under 1 s); it is killed
after `wall_seconds` (twice that and 10 s: a busy machine shares its CPU) in wall time."""

_MIB = 1024 * 1024
_PR_SET_PDEATHSIG = 1  # prctl option: the signal this process gets when its parent dies
_STREAM = re.compile(rb"(?<!end)stream(?:\r\n|\n|\r)")
_CHUNK = 256 * 1024
_FILTER = re.compile(rb"/Filter\s*(\[[^\]]*\]|/[^\s/<>\[\]()]+)")
_NAME = re.compile(rb"/([^\s/<>\[\]()]+)")
_SPACE = re.compile(rb"\s+")


class PdfRefused(ValueError):
    """Refused for what reading it would cost: no other parser should try the document."""


class PdfUnreadable(ValueError):
    """pdfplumber could not read the PDF (the message is pdfminer's)."""


@dataclass
class PdfPage:
    """One page as pdfplumber reads it: `extract_text()` (None when not asked for) and `extract_tables()`."""

    text: str | None
    tables: list[list[list[str | None]]]


def inflated_size(body: bytes, limit: int = MAX_INFLATED_BYTES) -> int:
    """Total inflated size of the PDF's Flate streams (alone or after ASCII85/ASCIIHex), counting stops past `limit`.

    Streams in other filters (images, LZW, encrypted data) count as nothing: the child's limits bound them.
    """
    total = 0
    for match in _STREAM.finditer(body):
        total += _stream_inflated(body, match.start(), match.end(), limit - total)
        if total > limit:
            break
    return total


def _stream_inflated(body: bytes, keyword: int, start: int, budget: int) -> int:
    """Inflated size of the stream whose data starts at `start`, read through the filters its dictionary names."""
    window = body[max(0, keyword - 4096):keyword]
    named = _FILTER.search(window[window.rfind(b"obj") + 1:])
    filters = [f.decode("latin-1") for f in _NAME.findall(named[1])] if named else ["FlateDecode"]
    data, offset = body, start
    try:
        for name in filters:
            if name in ("FlateDecode", "Fl"):
                return _inflate_length(data, offset, budget)
            if name in ("ASCII85Decode", "A85"):
                end = body.find(b"~>", start)
                data, offset = base64.a85decode(bytes(_SPACE.sub(b"", body[start:end if end >= 0 else None]))), 0
            elif name in ("ASCIIHexDecode", "AHx"):
                end = body.find(b">", start)
                data, offset = bytes.fromhex(body[start:end if end >= 0 else None].decode("latin-1")), 0
            else:
                return 0
    except ValueError:
        pass  # damaged or not what the dictionary says: pdfminer decides what it makes of it
    return 0


def _inflate_length(data: bytes, start: int, budget: int) -> int:
    """Bytes the zlib stream starting at `start` inflates to, counted up to just past `budget`."""
    inflater = zlib.decompressobj()
    position, produced = start + _CHUNK, 0
    piece = data[start:position]
    try:
        while piece:
            produced += len(inflater.decompress(piece, _MIB))
            if inflater.eof or produced > budget:
                break
            piece = inflater.unconsumed_tail
            if not piece:
                piece = data[position:position + _CHUNK]
                position += _CHUNK
    except zlib.error:
        pass  # not zlib data (or damaged): pdfminer decides what it makes of it
    return produced


def check_pdf_cost(body: bytes) -> None:
    """Raise PdfRefused when the PDF's streams inflate past MAX_INFLATED_BYTES (cheap: no PDF parsing)."""
    total = inflated_size(body, MAX_INFLATED_BYTES)
    if total > MAX_INFLATED_BYTES:
        raise PdfRefused(f"refused: the PDF's streams inflate past {MAX_INFLATED_BYTES // _MIB} MiB "
                         f"({len(body) / 1024:.0f} KB on the wire; counting stopped at {total / _MIB:.0f} MiB)")


def extract(body: bytes, *, text_pages: int | None = None, memory_bytes: int = MAX_MEMORY_BYTES,
            seconds: int = MAX_SECONDS, max_pages: int = MAX_PAGES) -> list[PdfPage]:
    """Every page's tables, and the text of the first `text_pages` pages (all when None), read in a bounded child."""
    check_pdf_cost(body)
    limits = {"memory": memory_bytes, "seconds": seconds, "pages": max_pages, "text_pages": text_pages,
              "parent": os.getpid()}
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "regtrail.parsers.pdf_guard", json.dumps(limits)]
    try:
        done = subprocess.run(command, input=body, capture_output=True, timeout=wall_seconds(seconds), env=env,
                              cwd=root)
    except subprocess.TimeoutExpired:
        raise PdfRefused(f"refused: reading the PDF took more than {wall_seconds(seconds)} s (wall time)") from None
    answer = _answer(done.stdout)
    if "pages" in answer:
        return [PdfPage(text, tables) for text, tables in answer["pages"]]
    if "refused" in answer:
        raise PdfRefused(answer["refused"])
    if "unreadable" in answer:
        raise PdfUnreadable(answer["unreadable"])
    if done.returncode == -signal.SIGXCPU:
        raise PdfRefused(f"refused: reading the PDF took more than {seconds} s of CPU time")
    # No answer: the interpreter itself ran out of memory (a fatal MemoryError aborts it) or was killed.
    cause = signal.Signals(-done.returncode).name if done.returncode < 0 else f"exit status {done.returncode}"
    fatal = next((ln for ln in reversed(done.stderr.decode(errors="replace").splitlines()) if "Error" in ln), "")
    raise PdfRefused(f"refused: reading the PDF needs more than {memory_bytes // _MIB} MiB of memory (the reader "
                     f"died: {cause}{': ' + fatal[:100] if fatal else ''})")


def wall_seconds(cpu_seconds: int) -> int:
    """Wall time after which the extraction process is killed."""
    return 2 * cpu_seconds + 10


def _answer(stdout: bytes) -> dict:
    try:
        answer = json.loads(stdout)
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _read(body: bytes, limits: dict) -> dict:
    """The child's work: the answer to print (pages, or why there are none)."""
    import io

    import pdfplumber

    with pdfplumber.open(io.BytesIO(body)) as pdf:
        pages = pdf.pages
        if len(pages) > limits["pages"]:
            return {"refused": f"refused: the PDF has {len(pages)} pages, more than {limits['pages']}"}
        text_pages = len(pages) if limits["text_pages"] is None else limits["text_pages"]
        read = []
        for number, page in enumerate(pages):
            read.append([page.extract_text() if number < text_pages else None, page.extract_tables()])
            page.close()  # drop the page's characters and layout: memory follows the largest page, not the sum
        return {"pages": read}


def _out_of_memory(exc: BaseException, limit: int) -> bool:
    """Whether `exc` came from the address-space limit: a MemoryError in its chain, an allocation failure
    reported by a C library (zlib: "Unable to allocate output buffer"), or a resident size near the limit."""
    chain: list[BaseException] = []
    while exc is not None and exc not in chain:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    if any(isinstance(e, MemoryError) or re.search(r"alloc|out of memory", str(e), re.I) for e in chain):
        return True
    return _peak_resident_bytes() > limit * 0.8


def _peak_resident_bytes() -> int:
    """This process's peak resident size since its exec (VmHWM), 0 when unknown.

    Not `getrusage(RUSAGE_SELF).ru_maxrss`: Linux carries that across fork and exec, so a child of a large
    process (a long test run, an Airflow worker) would start with its parent's peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _die_with_parent(parent: int | None) -> None:
    """Be killed when the process that started this one dies (Linux PR_SET_PDEATHSIG), so a killed crawl
    leaves no reader behind; exit at once when that process is already gone."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return  # not Linux: the CPU and wall-time limits still end it
    if parent is not None and os.getppid() != parent:
        os._exit(1)


def _child(argument: str) -> None:
    limits = json.loads(argument)
    _die_with_parent(limits.get("parent"))
    resource.setrlimit(resource.RLIMIT_AS, (limits["memory"], limits["memory"]))
    resource.setrlimit(resource.RLIMIT_CPU, (limits["seconds"], limits["seconds"] + 5))
    body = sys.stdin.buffer.read()
    try:
        answer = _read(body, limits)
    except Exception as exc:  # noqa: BLE001 (a damaged file is the parser's failure to report, not a crash)
        answer = {"unreadable": str(exc)}
        if _out_of_memory(exc, limits["memory"]):
            cause = exc.__cause__ or exc.__context__ if not str(exc) else exc
            answer = {"refused": f"refused: reading the PDF needs more than {limits['memory'] // _MIB} MiB of memory "
                                 f"({type(exc).__name__}: {str(cause)[:80] or type(cause).__name__})"}
    sys.stdout.buffer.write(json.dumps(answer, ensure_ascii=False).encode())


if __name__ == "__main__":
    _child(sys.argv[1])
