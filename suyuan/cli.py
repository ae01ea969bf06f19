"""The `suyuan` command: parses arguments and calls the library.

Exit status: 0 done; 1 something did not verify (audit, receipt, bundle);
2 a user error (bad arguments, a missing file, an uninitialised or
unreachable database), always as one sentence on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.exc import OperationalError

from suyuan import analysis, upkeep
from suyuan.config import Settings
from suyuan.errors import ConfigError, SuyuanError, VerificationError

USAGE_ERROR = 2
NOT_VERIFIED = 1


class UsageError(SuyuanError):
    """The command line itself is wrong."""


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: the usage block is what `--help` is for."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "SUYUAN_" + "_".join(str(p) for p in first["loc"]).upper()
        raise ConfigError(f"{name}: {first['msg']}, got {first.get('input')!r}.") from exc


def cmd_init(args: argparse.Namespace) -> int:
    from suyuan.ledger.schema import upgrade
    from suyuan.runtime import init_data_dir, open_ledger

    settings = _settings()
    made = init_data_dir(settings)
    ledger = open_ledger(settings)
    upgrade(ledger.engine)
    ledger.integrate(wait=True)  # the first, empty checkpoint
    from suyuan.trace.parties.registry import bootstrap_admin

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
    from suyuan.runtime import initialised_engine
    from suyuan.trace.parties.registry import create_party

    engine = initialised_engine(_settings())
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
    settings = _settings()
    return upkeep.serve(settings, args, start=lambda: (cmd_init(args), _warn_resolver(settings.resolver_url)))


def cmd_demo(args: argparse.Namespace) -> int:
    if args.world is not None and args.world < 100:
        raise UsageError(f"--world: expected at least 100 orders, got {args.world}")
    cmd_init(args)
    if args.world is not None:
        return _demo_world(args)
    from suyuan.demo.story import seed

    seed(_settings(), out=sys.stdout)
    return 0


def _demo_world(args: argparse.Namespace) -> int:
    from suyuan.demo.world.command import seed_world

    return seed_world(_settings(), args.world, args.seed, sys.stdout)


def cmd_log_integrate(args: argparse.Namespace) -> int:
    from suyuan.runtime import open_initialised_ledger

    ledger = open_initialised_ledger(_settings())
    size = ledger.sequencer.integrate_all()
    print(f"log integrated: tree size {size}")
    return 0


def cmd_upkeep(args: argparse.Namespace) -> int:  # backup, restore, log recover, analyze
    return args.upkeep(_settings(), args)


def cmd_audit(args: argparse.Namespace) -> int:
    from suyuan.ledger.audit import audit
    from suyuan.runtime import open_initialised_ledger

    settings = _settings()
    ledger = open_initialised_ledger(settings)
    print(audit(ledger.engine, ledger.verifier_key, settings.log_origin).summary())
    return 0


def _text_arg(value: str) -> str:
    path = Path(value)
    return path.read_text(encoding="utf-8").strip() if path.is_file() else value


def cmd_verify_receipt(args: argparse.Namespace) -> int:
    from suyuan.ledger.verify.receipt import verify_receipt

    receipt = Path(args.receipt).read_text(encoding="utf-8")
    entry = Path(args.entry).read_bytes()
    cp = verify_receipt(receipt, _text_arg(args.key), entry)
    from suyuan.ledger.verify.proofs import leaf_hash

    print(f"receipt ok: entry {leaf_hash(entry).hex()} is in {cp.origin} at tree size {cp.size}")
    return 0


def cmd_verify_bundle(args: argparse.Namespace) -> int:
    # Only the pure verification modules: no database, no server, no settings.
    from suyuan.ledger.verify.bundle import Bundle, journey_lines, verify_bundle

    bundle = Bundle.from_json(Path(args.bundle).read_bytes())
    result = verify_bundle(bundle, _text_arg(args.log_key))
    print(f"journey of {bundle.subject}")
    for line in journey_lines(result, {p.id: p.name for p in bundle.parties}):
        print("  " + line)
    if result.problem is not None:
        print(f"suyuan: bundle does not verify: {result.problem}", file=sys.stderr)
        return 1
    cp = result.checkpoint
    print(f"bundle ok: {len(result.entries)} entries in {len(result.chains)} chains, every chain intact and "
          f"complete up to the head the log signed as of tree size {cp.size}, every entry in {cp.origin}, "
          f"signatures valid")
    for chain in bundle.chains:
        if chain.later:
            print(f"note: the server says {chain.key} has {chain.later} newer entries not in this checkpoint "
                  "yet; fetch the bundle again to see them")
    return 0


def cmd_scan(args: argparse.Namespace) -> int:
    from suyuan.courier.command import scan
    from suyuan.courier.lines import UsageError

    try:
        return scan(args, _settings)
    except UsageError as exc:
        print(f"suyuan scan: {exc}", file=sys.stderr)
        return 2


def _warn_resolver(resolver_url: str) -> None:
    from suyuan.config import resolver_warning

    warning = resolver_warning(resolver_url)
    if warning:
        print(f"suyuan: {warning}", file=sys.stderr, flush=True)


def cmd_labels(args: argparse.Namespace) -> int:
    from suyuan.runtime import initialised_engine
    from suyuan.codes.labels import PER_PAGE, write_sheets
    from suyuan.trace.goods.labels import batch_labels
    from suyuan.courier.progress import ProgressBar

    settings = _settings()
    engine = initialised_engine(settings)
    resolver = args.resolver or settings.resolver_url
    _warn_resolver(resolver)
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
    p = Parser(prog="suyuan", description="suyuan 溯源 traceability ledger")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("init", help="create the data dir, log key and schema").set_defaults(func=cmd_init)
    db = sub.add_parser("db", help="schema commands").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="upgrade the schema to head").set_defaults(func=cmd_db_upgrade)
    serve = sub.add_parser("serve", help="run the HTTP service (upgrades the schema first)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--log-format", choices=["text", "json"], default="text",
                       help="json: one JSON line per request and per sequencer run, on stderr")
    serve.add_argument("--workers", type=int, default=1,
                       help="worker processes (PostgreSQL only; the sequencer stays single)")
    serve.set_defaults(func=cmd_serve)
    demo = sub.add_parser("demo", help="seed a realistic demo log (or, with --world, a synthetic world)")
    demo.add_argument("--world", type=int, metavar="N",
                      help="a synthetic world of N orders with fraudsters of every kind (issue 10); the truth "
                      "goes to <data dir>/world-truth.json")
    demo.add_argument("--seed", type=int, help="the world's seed (same seed, same world)")
    demo.set_defaults(func=cmd_demo)
    _add_party_and_log(sub)
    _add_verify(sub)
    _add_scan(sub)
    _add_labels(sub)
    return p


def _add_party_and_log(sub: argparse._SubParsersAction) -> None:
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
    upkeep.add_commands(sub, log, cmd_upkeep)
    analysis.add_command(sub, cmd_upkeep)


def _add_verify(sub: argparse._SubParsersAction) -> None:
    vr = sub.add_parser("verify-receipt", help="check a tlog-proof receipt offline")
    vr.add_argument("receipt", help="file holding the c2sp.org/tlog-proof@v1 text")
    vr.add_argument("--key", required=True, help="the log's verifier key, or a file holding it")
    vr.add_argument("--entry", required=True, help="file holding the entry's canonical bytes")
    vr.set_defaults(func=cmd_verify_receipt)
    vb = sub.add_parser("verify-bundle", help="check an item's bundle offline and print its journey")
    vb.add_argument("bundle", help="file holding the JSON of GET /v1/items/<key>/bundle")
    vb.add_argument("--log-key", required=True, help="the log's verifier key, or a file holding it")
    vb.set_defaults(func=cmd_verify_bundle)


def _add_scan(sub: argparse._SubParsersAction) -> None:
    scan = sub.add_parser(
        "scan", help="courier scanner: one code per line from stdin, queued offline",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Courier scanner: reads one scanned code per line from stdin (a keyboard-wedge scanner, "
                    "a keyboard or a pipe), queues each scan offline and uploads the queue.",
        epilog="input lines:\n"
               "  CODE                           any action: the payload comes from the options\n"
               "  CODE<TAB>WAYBILL<TAB>WEIGHT_G  dispatch: this scan's waybill and weight in grams;\n"
               "                                 an empty or missing field takes --waybill or --weight-g\n"
               "CODE is what the label carries: a GS1 Digital Link URI (the QR code), a GS1\n"
               "element string (GS1-128, DataMatrix) or an SSCC. The review token of each\n"
               "delivered item is kept in the queue (mode 0600); --tokens prints them as CSV.")
    scan.add_argument("--action", choices=["dispatch", "transit", "deliver"], help="event each scan records")
    scan.add_argument("--sync", action="store_true", help="upload the offline queue now, with a progress bar")
    scan.add_argument("--rejected", action="store_true", help="list the scans the server refused, with reasons")
    scan.add_argument("--tokens", action="store_true",
                      help="print the review tokens of this client's deliveries as CSV (item_key,token)")
    scan.add_argument("--out", metavar="FILE", help="with --tokens: write the CSV to FILE (mode 0600)")
    scan.add_argument("--server", help="server URL (default: SUYUAN_SERVER_URL)")
    scan.add_argument("--key", help="the courier's API key (default: SUYUAN_API_KEY)")
    scan.add_argument("--queue", help="queue file (default: <data dir>/scan-queue.db)")
    scan.add_argument("--batch-size", type=int, default=500, help="scans per upload (default 500)")
    scan.add_argument("--retry-interval", type=float, default=30.0,
                      help="seconds to wait before retrying an unreachable server (default 30)")
    scan.add_argument("--waybill", help="dispatch: waybill number, for lines that carry none")
    scan.add_argument("--weight-g", type=int, help="dispatch: declared weight in grams, for lines that carry none")
    scan.add_argument("--from-region", help="dispatch: GB/T 2260 code of the origin, e.g. 320700")
    scan.add_argument("--to-region", help="dispatch: GB/T 2260 code of the destination")
    scan.add_argument("--recipient", metavar="COMMITMENT",
                      help="dispatch and deliver: the recipient's commitment from POST /v1/people "
                           "(hmac-sha256:<64 hex>)")
    scan.add_argument("--hub", help="transit: name of the hub")
    scan.add_argument("--region", help="transit and deliver: GB/T 2260 code where the scan happens")
    scan.add_argument("--direction", choices=["arrive", "depart"], help="transit: arrive (default) or depart")
    scan.add_argument("--signed-by", choices=["recipient", "agent", "locker"], help="deliver: who signed")
    scan.set_defaults(func=cmd_scan)


def _add_labels(sub: argparse._SubParsersAction) -> None:
    labels = sub.add_parser("labels", help="A4 label sheets (QR code, GTIN/lot/serial, name, origin) for a batch")
    labels.add_argument("--batch", required=True, help="batch key, e.g. 01/06901234567892/10/LOT7")
    labels.add_argument("--out", required=True, help="labels.pdf, labels.svg (one file per page), labels.html or .png")
    labels.add_argument("--resolver", help="base of the Digital Link URIs (default: SUYUAN_RESOLVER_URL)")
    labels.add_argument("--limit", type=int, help="at most this many labels")
    labels.set_defaults(func=cmd_labels)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except VerificationError as exc:
        print(f"suyuan: {_one_line(exc)}", file=sys.stderr)
        return NOT_VERIFIED
    except SuyuanError as exc:
        print(f"suyuan: {_one_line(exc)}", file=sys.stderr)
        return USAGE_ERROR
    except OperationalError as exc:
        # Raised by commands that create the schema (init, serve, demo, db upgrade).
        print(f"suyuan: cannot reach the database: {_one_line(str(exc.orig).splitlines()[0])}.", file=sys.stderr)
        return USAGE_ERROR
    except OSError as exc:
        # A file the user named is missing or unreadable, or a port is taken.
        where = f" {exc.filename}" if exc.filename else ""
        print(f"suyuan: cannot use{where}: {_one_line(exc.strerror or exc)}.", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
