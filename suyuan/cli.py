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
