"""Which record events to append: only where a document's output changed.

A document (payload digest) already parsed in the log gets new record events only when the set of
(record_type, record_key, payload_digest) it yields now differs from the set of its newest parser
version in the log (the rule of dbt's `int_document_parser_versions`: versions compare as integers
when they all are, else as text). Then all of its records are appended under the new version, so
the warehouse's "newest parser version per document" stays complete. Identical output under a new
parser version adds nothing; a document that failed to parse and now parses is healed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from regtrail.log import events

Signature = tuple[str, str, str]
_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")


def newest_version(versions: list[str]) -> str:
    """The newest of a document's parser versions, as the warehouse decides it."""
    if all(_INTEGER.match(v) for v in versions):
        return max(versions, key=lambda v: (int(v), v))
    return max(versions)


def signature(event: events.RecordEvent) -> Signature:
    return event.record_type, event.record_key, event.payload_digest


@dataclass
class RecordLog:
    """Record signatures per document and parser version (log plus what this run wrote)."""

    versions: dict[str, dict[str, set[Signature]]] = field(default_factory=lambda: defaultdict(dict))
    run: dict[str, dict[str, events.RecordEvent]] = field(default_factory=lambda: defaultdict(dict))

    @classmethod
    def load(cls, root: events.Root, source: str) -> RecordLog:
        table = events.read_events(root, "records", source, columns=[
            "document_digest", "parser_version", "record_type", "record_key", "payload_digest"])
        log = cls()
        for row in table.to_pylist():
            if row["document_digest"]:
                log.versions[row["document_digest"]].setdefault(row["parser_version"], set()).add(
                    (row["record_type"], row["record_key"], row["payload_digest"]))
        return log

    def select(self, pending: list[events.RecordEvent]) -> tuple[list[events.RecordEvent], int]:
        """(events to append, how many pending events were left out because their document is unchanged)."""
        groups: dict[str, list[events.RecordEvent]] = defaultdict(list)
        for event in pending:
            groups[event.document_digest].append(event)
        chosen: list[events.RecordEvent] = []
        skipped = 0
        for digest, group in groups.items():
            this_run = self.run[digest]
            this_run.update((e.event_id, e) for e in group)
            logged = self.versions.get(digest)
            if not logged:
                chosen += group
                continue
            newest = newest_version(list(logged))
            if {e.parser_version for e in this_run.values()} == {newest}:
                chosen += group  # same parser version: ids deduplicate
            elif {signature(e) for e in this_run.values()} == logged[newest]:
                skipped += len(group)
            else:
                chosen += list(this_run.values())
        return chosen, skipped

    def remember(self, written: list[events.RecordEvent]) -> None:
        """Account for events now in the log."""
        for event in written:
            self.versions[event.document_digest].setdefault(event.parser_version, set()).add(signature(event))
