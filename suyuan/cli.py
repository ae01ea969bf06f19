"""The `suyuan` command: parses arguments and calls the library."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from suyuan.config import Settings
from suyuan.errors import SuyuanError


def _settings() -> Settings:
    return Settings()


def cmd_init(args: argparse.Namespace) -> int:
    from suyuan.ledger.schema import upgrade
    from suyuan.runtime import init_data_dir, open_ledger

    settings = _settings()
    made = init_data_dir(settings)
    ledger = open_ledger(settings)
    upgrade(ledger.engine)
    ledger.integrate(wait=True)  # the first, empty checkpoint
    from suyuan.trace.parties import bootstrap_admin

    admin = bootstrap_admin(ledger.engine)
    print(f"data dir   {settings.data_dir.resolve()}")
    print(f"database   {ledger.engine.url.render_as_string(hide_password=True)}")
    print(f"log key    {'created ' if made else ''}{settings.log_key_path if not settings.log_key else 'SUYUAN_LOG_KEY'}")
    if admin is not None:
        print(f"admin      {admin[0].id}")
        print(f"admin key  {admin[1]}  (shown once: store it now)")
    print(f"verifier   {ledger.verifier_key}")
    return 0


def cmd_party_add(args: argparse.Namespace) -> int:
    from suyuan.ledger.db import make_engine
    from suyuan.trace.parties import create_party

    engine = make_engine(_settings().sqlalchemy_url)
    roles = [r for value in args.role for r in value.split(",") if r]
    party, api_key = create_party(engine, name=args.name, roles=roles, kind=args.kind, uscc=args.uscc)
    print(f"party      {party.id}")
    print(f"roles      {', '.join(party.roles)}")
    print(f"api key    {api_key}  (shown once: store it now)")
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from suyuan.ledger.db import make_engine
    from suyuan.ledger.schema import upgrade

    engine = make_engine(_settings().sqlalchemy_url)
    upgrade(engine)
    print("schema at head")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from suyuan.api.app import create_app

    settings = _settings()
    cmd_init(args)
    _warn_resolver(settings.resolver_url)
    print(f"serving on http://{args.host}:{args.port}  (API docs at /docs)", flush=True)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from suyuan.demo import seed

    cmd_init(args)
    seed(_settings(), out=sys.stdout)
    return 0


def cmd_log_integrate(args: argparse.Namespace) -> int:
    from suyuan.runtime import open_ledger

    ledger = open_ledger(_settings())
    size = ledger.sequencer.integrate_all()
    print(f"log integrated: tree size {size}")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from suyuan.ledger.audit import audit
    from suyuan.runtime import open_ledger

    settings = _settings()
    ledger = open_ledger(settings)
    print(audit(ledger.engine, ledger.verifier_key, settings.log_origin).summary())
    return 0


def _text_arg(value: str) -> str:
    path = Path(value)
    return path.read_text(encoding="utf-8").strip() if path.is_file() else value


def cmd_verify_receipt(args: argparse.Namespace) -> int:
    from suyuan.ledger.verify import verify_receipt

    receipt = Path(args.receipt).read_text(encoding="utf-8")
    entry = Path(args.entry).read_bytes()
    cp = verify_receipt(receipt, _text_arg(args.key), entry)
    from suyuan.ledger.proofs import leaf_hash

    print(f"receipt ok: entry {leaf_hash(entry).hex()} is in {cp.origin} at tree size {cp.size}")
    return 0


def cmd_verify_bundle(args: argparse.Namespace) -> int:
    # Only the pure verification modules: no database, no server, no settings.
    from suyuan.ledger.bundle import Bundle, journey_lines, verify_bundle

    bundle = Bundle.from_json(Path(args.bundle).read_bytes())
    result = verify_bundle(bundle, _text_arg(args.log_key))
    print(f"journey of {bundle.subject}")
    for line in journey_lines(result, {p.id: p.name for p in bundle.parties}):
        print("  " + line)
    if result.problem is not None:
        print(f"suyuan: bundle does not verify: {result.problem}", file=sys.stderr)
        return 1
    cp = result.checkpoint
    print(f"bundle ok: {len(result.entries)} entries in {len(result.chains)} chains, every chain intact, "
          f"every entry in {cp.origin} at tree size {cp.size}, signatures valid")
    return 0


def cmd_scan(args: argparse.Namespace) -> int:
    from suyuan.scanners.client import ScannerClient, event_payload, sync_with_progress
    from suyuan.scanners.queue import ScanQueue

    settings = _settings()
    with ScanQueue(args.queue or settings.scan_queue_path) as queue:
        if args.rejected:
            for r in queue.rejected():
                rule = f" {r.rule}" if r.rule else ""
                print(f"{r.rejected_at}  {r.statement['type']:<8} {r.statement['key']}  {r.status}{rule}  {r.reason}")
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
                print(report.summary())
                return 0 if report.error is None else 2
            if not args.action:
                print("suyuan: expected --action dispatch|transit|deliver, --sync or --rejected.", file=sys.stderr)
                return 1
            data = event_payload(args.action, waybill=args.waybill, weight_g=args.weight_g,
                                 from_region=args.from_region, to_region=args.to_region, hub=args.hub,
                                 region=args.region, direction=args.direction, signed_by=args.signed_by)
            print(f"scanning for {args.action}; client {queue.client_id}; one code per line, "
                  "end with Ctrl-D", file=sys.stderr)
            report = client.run(sys.stdin, args.action, data, sys.stdout)
            if report.remaining:
                print(f"{report.remaining} scans queued offline: run `suyuan scan --sync` when online",
                      file=sys.stderr)
            return 0
        finally:
            client.close()


def _warn_resolver(resolver_url: str) -> None:
    from suyuan.config import resolver_warning

    warning = resolver_warning(resolver_url)
    if warning:
        print(f"suyuan: {warning}", file=sys.stderr, flush=True)


def cmd_labels(args: argparse.Namespace) -> int:
    from suyuan.ledger.db import make_engine
    from suyuan.scanners.labels import PER_PAGE, batch_labels, write_sheets
    from suyuan.scanners.progress import ProgressBar

    settings = _settings()
    resolver = args.resolver or settings.resolver_url
    _warn_resolver(resolver)
    engine = make_engine(settings.sqlalchemy_url)
    try:
        labels = batch_labels(engine, args.batch, limit=args.limit)
    finally:
        engine.dispose()
    with ProgressBar(len(labels), "labels", sys.stderr) as bar:
        written = write_sheets(labels, args.out, resolver, progress=bar.advance)
    pages = -(-len(labels) // PER_PAGE)
    print(f"{len(labels)} labels on {pages} A4 pages: {', '.join(str(p) for p in written[:3])}"
          + (f" ... ({len(written)} files)" if len(written) > 3 else ""))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="suyuan", description="suyuan 溯源 traceability ledger")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("init", help="create the data dir, log key and schema").set_defaults(func=cmd_init)
    db = sub.add_parser("db", help="schema commands").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="upgrade the schema to head").set_defaults(func=cmd_db_upgrade)
    serve = sub.add_parser("serve", help="run the HTTP service (upgrades the schema first)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(func=cmd_serve)
    sub.add_parser("demo", help="seed a realistic demo log").set_defaults(func=cmd_demo)
    party = sub.add_parser("party", help="party commands").add_subparsers(dest="party_command", required=True)
    add = party.add_parser("add", help="register a party and print its API key once")
    add.add_argument("--name", required=True, help="real name: organisation or person")
    add.add_argument("--role", required=True, action="append",
                     help="producer, merchant, platform, courier, inspector or admin; repeat or comma-separate")
    add.add_argument("--uscc", help="Unified Social Credit Code (organisations)")
    add.add_argument("--kind", default="organisation", choices=["organisation", "individual"])
    add.set_defaults(func=cmd_party_add)
    log = sub.add_parser("log", help="log commands").add_subparsers(dest="log_command", required=True)
    log.add_parser("integrate", help="integrate queued entries now").set_defaults(func=cmd_log_integrate)
    sub.add_parser("audit", help="recompute every chain, the tree and checkpoints").set_defaults(func=cmd_audit)
    vr = sub.add_parser("verify-receipt", help="check a tlog-proof receipt offline")
    vr.add_argument("receipt", help="file holding the c2sp.org/tlog-proof@v1 text")
    vr.add_argument("--key", required=True, help="the log's verifier key, or a file holding it")
    vr.add_argument("--entry", required=True, help="file holding the entry's canonical bytes")
    vr.set_defaults(func=cmd_verify_receipt)
    vb = sub.add_parser("verify-bundle", help="check an item's bundle offline and print its journey")
    vb.add_argument("bundle", help="file holding the JSON of GET /v1/items/<key>/bundle")
    vb.add_argument("--log-key", required=True, help="the log's verifier key, or a file holding it")
    vb.set_defaults(func=cmd_verify_bundle)
    scan = sub.add_parser("scan", help="courier scanner: one code per line from stdin, queued offline")
    scan.add_argument("--action", choices=["dispatch", "transit", "deliver"], help="event each scan records")
    scan.add_argument("--sync", action="store_true", help="upload the offline queue now, with a progress bar")
    scan.add_argument("--rejected", action="store_true", help="list the scans the server refused, with reasons")
    scan.add_argument("--server", help="server URL (default: SUYUAN_SERVER_URL)")
    scan.add_argument("--key", help="the courier's API key (default: SUYUAN_API_KEY)")
    scan.add_argument("--queue", help="queue file (default: <data dir>/scan-queue.db)")
    scan.add_argument("--batch-size", type=int, default=500, help="scans per upload (default 500)")
    scan.add_argument("--retry-interval", type=float, default=30.0,
                      help="seconds to wait before retrying an unreachable server (default 30)")
    scan.add_argument("--waybill", help="dispatch: waybill number")
    scan.add_argument("--weight-g", type=int, help="dispatch: declared weight in grams")
    scan.add_argument("--from-region", help="dispatch: GB/T 2260 code of the origin, e.g. 320700")
    scan.add_argument("--to-region", help="dispatch: GB/T 2260 code of the destination")
    scan.add_argument("--hub", help="transit: name of the hub")
    scan.add_argument("--region", help="transit and deliver: GB/T 2260 code where the scan happens")
    scan.add_argument("--direction", choices=["arrive", "depart"], default="arrive", help="transit: arrive or depart")
    scan.add_argument("--signed-by", choices=["recipient", "agent", "locker"], help="deliver: who signed")
    scan.set_defaults(func=cmd_scan)
    labels = sub.add_parser("labels", help="A4 label sheets (QR code, GTIN/lot/serial, name, origin) for a batch")
    labels.add_argument("--batch", required=True, help="batch key, e.g. 01/06901234567892/10/LOT7")
    labels.add_argument("--out", required=True, help="labels.pdf, labels.svg (one file per page), labels.html or .png")
    labels.add_argument("--resolver", help="base of the Digital Link URIs (default: SUYUAN_RESOLVER_URL)")
    labels.add_argument("--limit", type=int, help="at most this many labels")
    labels.set_defaults(func=cmd_labels)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except SuyuanError as exc:
        print(f"suyuan: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
