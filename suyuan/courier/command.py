"""`suyuan scan`: the courier's scanner client as a command (queue, sync, rejected scans, review tokens).

`suyuan.cli` parses the arguments and hands them here; the work is done by
`client` (the HTTP side and the progress of a sync), `queue` (the offline
queue) and `lines` (what a scanned line and the options mean).
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable

from suyuan.config import Settings


def scan(args: argparse.Namespace, settings_of: Callable[[], Settings]) -> int:
    """Run `suyuan scan` with its parsed arguments (UsageError for a wrong combination)."""
    from suyuan.courier.client import ScannerClient, private_file, sync_with_progress, write_tokens
    from suyuan.courier.lines import OPTIONS, UsageError, event_payload
    from suyuan.courier.queue import ScanQueue

    modes = [f"--{m}" for m in ("action", "sync", "rejected", "tokens") if getattr(args, m)]
    if len(modes) != 1:
        raise UsageError("Expected one of --action dispatch|transit|deliver, --sync, --rejected or --tokens, "
                         f"got {' and '.join(modes) or 'none'}.")
    given = [name for name in OPTIONS if getattr(args, name) is not None]
    if given and not args.action:
        raise UsageError(f"Option --{given[0].replace('_', '-')} sets the payload of new scans: expected it "
                         f"with --action, not with {modes[0]}.")
    if args.out is not None and not args.tokens:
        raise UsageError(f"Option --out is for --tokens: expected --tokens --out FILE, got {modes[0]}.")
    settings = settings_of()
    payload = None
    if args.action:  # checked before the queue is touched
        payload = event_payload(args.action, **{name: getattr(args, name) for name in given})
    with ScanQueue(args.queue or settings.scan_queue_path) as queue:
        if args.rejected:
            _print_rejected(queue)
            return 0
        if args.tokens:
            if args.out is None:
                write_tokens(queue.review_tokens(), sys.stdout)
                return 0
            with private_file(args.out) as out:
                n = write_tokens(queue.review_tokens(), out)
            print(f"{n} review tokens written to {args.out} (mode 0600)", file=sys.stderr)
            return 0
        key = args.key or (settings.api_key.get_secret_value() if settings.api_key else None)
        client = ScannerClient(args.server or settings.server_url, key, queue, batch_size=args.batch_size,
                               retry_interval=args.retry_interval)
        try:
            if args.sync:
                report = sync_with_progress(client, sys.stderr)
                for outcome in report.outcomes:
                    if outcome.status in ("duplicate", "rejected"):
                        print(outcome.line())
                    else:
                        for line in outcome.flag_lines():
                            print(line)
                print(report.summary())
                _tokens_note(client.tokens_kept)
                return 0 if report.error is None else 2
            print(f"scanning for {args.action}; client {queue.client_id}; one code per line (dispatch: "
                  "code<TAB>waybill<TAB>weight_g), end with Ctrl-D", file=sys.stderr)
            sys.stdin.reconfigure(errors="replace")  # a scanner's stray bytes become an invalid line
            report = client.run(sys.stdin, args.action, payload, sys.stdout)
            if report.remaining:
                why = f" ({report.error.rstrip('.')})" if report.error else ""
                print(f"{report.remaining} scans still queued{why}: run `suyuan scan --sync` when the server "
                      "is reachable", file=sys.stderr)
            _tokens_note(client.tokens_kept)
            return 0
        finally:
            client.close()


def _print_rejected(queue) -> None:  # noqa: ANN001
    for r in queue.rejected():
        rule = f" {r.rule}" if r.rule else ""
        print(f"{r.rejected_at}  {r.statement['type']:<8} {r.statement['key']}  {r.status}{rule}  {r.reason}")


def _tokens_note(n: int) -> None:
    if n:
        print(f"{n} review token{'s' if n != 1 else ''} kept for the shoppers: `suyuan scan --tokens` "
              "prints them", file=sys.stderr)
