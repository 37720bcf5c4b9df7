"""Alerts after a publish: what changed for a watchlist, sent through Apprise.

`REGTRAIL_WATCHLIST` names a YAML file with optional lists `groups`, `entities`, `filing_numbers`,
`keywords` (e.g. `groups: [Huawei]`); without it every change counts. `REGTRAIL_NOTIFY` holds Apprise
URLs (whitespace- or comma-separated: `json://host:port/`, Slack, e-mail, ...). After each successful
publish one short summary goes to them, and nothing when nothing on the watchlist changed. A failing
notification is logged; it never fails the publish. A log line names a URL only in Apprise's privacy form
(passwords and tokens masked); every line of this module and of Apprise passes `redaction.RedactingFilter`.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import apprise
import yaml

from regtrail import settings
from regtrail.analyst import changes
from regtrail.analyst.redaction import notify_label, protect

log = logging.getLogger(__name__)
protect(log, "apprise")  # whatever handler prints them (the CLI's, an Airflow task's), no secret in a line

WATCHLIST_KEYS = ("groups", "entities", "filing_numbers", "keywords")
SHOWN = 10  # changes listed in the body; the rest are counted


@dataclass(frozen=True)
class Watchlist:
    """What an analyst follows; every list optional, matched case-insensitively."""

    groups: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    filing_numbers: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    everything: bool = field(default=False)

    @classmethod
    def load(cls, path: Path | str | None = None) -> Watchlist:
        """The watchlist at `path` (default REGTRAIL_WATCHLIST); everything when neither is set."""
        path = path or settings.ENV.watchlist
        if not path:
            return cls(everything=True)
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{path}: a watchlist is a mapping with the lists {', '.join(WATCHLIST_KEYS)}")
        unknown = sorted(set(data) - set(WATCHLIST_KEYS))
        if unknown:
            raise ValueError(f"{path}: unknown watchlist keys {unknown}; valid: {', '.join(WATCHLIST_KEYS)}")
        values = {}
        for key in WATCHLIST_KEYS:
            items = data.get(key) or []
            if isinstance(items, str):
                items = [items]
            values[key] = tuple(str(item).strip() for item in items if str(item).strip())
        return cls(**values)

    def reasons(self, change: dict) -> list[str]:
        """Why a change is on the watchlist (empty: it is not)."""
        if self.everything:
            return ["all changes"]
        found = []
        groups = {(change.get(k) or "").lower() for k in ("entity_group", "entity_group_zh")} - {""}
        found += [f"group {g}" for g in self.groups if g.lower() in groups]
        names = " ".join(change.get(k) or "" for k in ("entity_name", "entity_name_en")).lower()
        found += [f"entity {e}" for e in self.entities if e.lower() in names]
        number = (change.get("filing_number") or "").lower()
        found += [f"filing {n}" for n in self.filing_numbers if number and n.lower() in number]
        text = " ".join(change.get(k) or "" for k in ("title", "description", "algorithm_name")).lower()
        found += [f"keyword {k}" for k in self.keywords if k.lower() in text]
        return found


def watched(publication: changes.Publication, watchlist: Watchlist) -> list[dict]:
    """The publication's changes on the watchlist."""
    return [c for c in publication.changes if watchlist.reasons(c)]


def message(publication: changes.Publication, matched: list[dict], watchlist: Watchlist,
            report: str | None = None) -> tuple[str, str]:
    """(title, body): counts by kind, the first changes, where to read more."""
    counts = Counter(c["change_kind"] for c in matched)
    scope = "" if watchlist.everything else " on your watchlist"
    title = f"regtrail: {len(matched)} changes{scope} ({changes.summary_line(counts)})"
    lines = [f"Publication {publication.publication_id} ({publication.published_at:%Y-%m-%d %H:%M} UTC) added "
             f"{publication.total} changes; {len(matched)}{scope}: {changes.summary_line(counts)}."]
    for change in matched[:SHOWN]:
        who = change.get("entity_name") or change.get("entity_group") or ""
        when = change.get("event_date") or ""
        lines.append(f"- {when} {changes.LABELS[change['change_kind']]}: {change.get('title') or ''}"
                     + (f" — {who}" if who else "") + (f" {change['filing_number']}" if change.get("filing_number")
                                                         else ""))
    if len(matched) > SHOWN:
        lines.append(f"... and {len(matched) - SHOWN} more.")
    if report:
        lines.append(f"Report: {report}")
    return title, "\n".join(lines)


def notify_urls() -> list[str]:
    """Apprise URLs from REGTRAIL_NOTIFY (empty: alerts are off)."""
    return list(settings.ENV.notify)


def after_publish(publication: changes.Publication, report: str | None = None) -> bool:
    """Send the watchlist summary of a committed publication. True when a notification was sent.

    Never raises: a bad watchlist or an unreachable receiver is logged and the publish stands.
    """
    urls = notify_urls()
    if not urls:
        return False
    try:
        watchlist = Watchlist.load()
        matched = watched(publication, watchlist)
        if not matched:
            log.info("publication %s: nothing on the watchlist changed; no notification", publication.publication_id)
            return False
        title, body = message(publication, matched, watchlist, report)
        sender = apprise.Apprise()
        for url in urls:
            if not sender.add(url):
                log.error("REGTRAIL_NOTIFY: not an Apprise URL Apprise accepts: %s", notify_label(url))
        if not len(sender):
            return False
        sent = bool(sender.notify(title=title, body=body))
        if not sent:
            log.error("publication %s: the notification to %s failed", publication.publication_id,
                      ", ".join(notify_label(u) for u in urls))
        return sent
    except Exception:  # an alert must never fail the publish
        log.exception("publication %s: alerting failed", publication.publication_id)
        return False
