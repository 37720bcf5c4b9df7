"""`python -m regtrail.mirror`: serve the offline CAC mirror until interrupted."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from regtrail import settings
from regtrail.mirror.server import start_mirror
from regtrail.mirror.site import SYNTHETIC_POLICIES, build_site


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, build the site, serve forever."""
    parser = argparse.ArgumentParser(prog="python -m regtrail.mirror", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    parser.add_argument("--synthetic", choices=SYNTHETIC_POLICIES, default="missing",
                        help="missing: real files only, others 404; fill: synthetic lists where no real "
                             "file; all: synthetic everywhere")
    parser.add_argument("--shared", type=Path, default=None,
                        help="shared data folder holding cac_data/ (default $REGTRAIL_SHARED or ../shared)")
    parser.add_argument("--print-origin-file", type=Path, default=None,
                        help="write the origin URL to this file once listening")
    args = parser.parse_args(argv)

    shared = (args.shared or settings.shared_dir()).resolve()
    site = build_site(shared, synthetic=args.synthetic)
    handle = start_mirror(site, host=args.host, port=args.port)
    print(f"mirror serving at {handle.origin} ({site.page_count} pages, {site.count('real')} real "
          f"attachments, {site.count('synthetic')} synthetic)", flush=True)
    missing = site.count("missing")
    if missing:
        hint = "(--synthetic fill serves synthetic lists instead)" if site.synthetic == "missing" else ""
        print(f"regtrail mirror: {missing} attachments have no content and answer 404 {hint}".rstrip(),
              file=sys.stderr, flush=True)
    if args.print_origin_file:
        target = args.print_origin_file
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_text(handle.origin + "\n", encoding="utf-8")
        tmp.replace(target)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        handle.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
