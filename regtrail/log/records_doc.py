"""docs/EVENTS.md's "Record payloads" section, generated from the record contract (regtrail/log/records.py).

    python -m regtrail.log.records_doc            # rewrite the section in docs/EVENTS.md
    python -m regtrail.log.records_doc --check    # exit 1 when the committed file differs

Everything between the two markers is generated; the rest of the file is written by hand.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields
from pathlib import Path

from regtrail.log.records import RECORD_TYPES, Record
from regtrail.log.text import BODY_CAP, DEFAULT_CAP, IDENTIFIER_CAP

EVENTS_MD = Path(__file__).resolve().parents[2] / "docs" / "EVENTS.md"
BEGIN = "<!-- record payloads: generated from regtrail/log/records.py by `python -m regtrail.log.records_doc` -->"
END = "<!-- end of generated record payloads -->"


def _type(record: type[Record], name: str) -> str:
    return str(next(f.type for f in fields(record) if f.name == name)).replace("|", "\\|")


def render_section() -> str:
    """The generated part: one table per record type, fields in contract order."""
    lines = [BEGIN, "## Record payloads",
             "The `payload` of each record type: one typed definition per type in `regtrail/log/records.py`.",
             "Optional fields are left out of the payload when the record does not have them.",
             "Every string passes the text boundary (`regtrail/log/text.py`) when the record is constructed: "
             "escape sequences and control characters (C0 but tab and newline, DEL, C1) removed, NFC; fields "
             "marked *Identifier* are also NFKC with whitespace and format characters removed, the printed form "
             f"kept in the optional `<field>_raw` when it differs; each string is cut to {DEFAULT_CAP:,} characters "
             f"(`body`: {BODY_CAP:,}, identifiers: {IDENTIFIER_CAP}) and the record names what was cut in "
             "`truncated_fields`.", ""]
    for record_type, record in RECORD_TYPES.items():
        lines += [f"### `{record_type}`", f"{record.summary} Key (`record_key`): {record.key}.", "",
                  "| field | type | meaning |", "|---|---|---|"]
        for f in fields(record):
            optional = " Optional." if f.metadata.get("optional") else ""
            optional += " *Identifier.*" if f.metadata.get("identifier") else ""
            lines.append(f"| {f.name} | {_type(record, f.name)} | {f.metadata['doc']}{optional} |")
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def render(text: str) -> str:
    """`text` (the current docs/EVENTS.md) with its generated section replaced (appended when missing)."""
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        return head + render_section() + tail
    return text.rstrip("\n") + "\n\n" + render_section() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when docs/EVENTS.md is not up to date")
    args = parser.parse_args(argv)
    current = EVENTS_MD.read_text(encoding="utf-8")
    wanted = render(current)
    if args.check:
        if wanted != current:
            print(f"{EVENTS_MD} is out of date: run python -m regtrail.log.records_doc", file=sys.stderr)
            return 1
        return 0
    EVENTS_MD.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
