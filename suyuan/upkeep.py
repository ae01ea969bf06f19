"""The operator's commands: `suyuan serve`'s server, `suyuan backup`, `suyuan restore`, `suyuan log recover`.

Thin, like the rest of the CLI: each parses nothing itself (`suyuan.cli`
hands it the settings and arguments) and calls the library.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from pathlib import Path
from typing import Callable

from suyuan.config import Settings


def serve(settings: Settings, args: argparse.Namespace, start: Callable[[], object]) -> int:
    """Serve HTTP until SIGTERM or Ctrl-C; then stop accepting, finish what runs, and exit.

    `start` prepares the data dir and prints the start-up report; with
    `--log-format json` that report becomes JSON log lines too, so every line
    on the output parses. uvicorn's graceful shutdown closes the listening
    socket, waits up to `SUYUAN_SHUTDOWN_GRACE_SECONDS` for in-flight
    requests, then runs the app's shutdown, which waits for the running
    integration to commit.
    """
    import uvicorn

    from suyuan.api.app import create_app
    from suyuan.api.logs import json_log_config
    from suyuan.errors import ConfigError

    workers = getattr(args, "workers", 1)
    if not 1 <= workers <= 64:
        raise ConfigError(f"Invalid --workers: expected 1 to 64 worker processes, got {workers}.")
    if workers > 1 and settings.sqlalchemy_url.startswith("sqlite"):
        raise ConfigError(f"--workers {workers}: SQLite takes one writing process at a time; serve one worker, "
                         "or set SUYUAN_DATABASE_URL to PostgreSQL for more.")

    serving = f"serving on http://{args.host}:{args.port}  (API docs at /docs)"
    extra: dict = {}
    if args.log_format == "json":
        banner = io.StringIO()
        with contextlib.redirect_stdout(banner), contextlib.redirect_stderr(banner):
            start()
        extra = {"log_config": json_log_config()}
        _log_banner([*banner.getvalue().splitlines(), serving])
    else:
        start()
        print(serving, flush=True)
    options = {"host": args.host, "port": args.port, "log_level": "info",
               "timeout_graceful_shutdown": int(settings.shutdown_grace_seconds) or 1, **extra}
    if workers > 1:
        # Each worker builds its app from the same environment; the sequencer stays single by its
        # advisory lock, and one worker takes the analysis (`suyuan.ledger.duties`).
        uvicorn.run("suyuan.api.app:create_app", factory=True, workers=workers, **options)
    else:
        uvicorn.run(create_app(settings), **options)
    return 0


def _log_banner(lines: list[str]) -> None:
    """The start-up report as JSON log lines (`--log-format json`): warnings at level warning."""
    import logging.config

    from suyuan.api.logs import json_log_config

    logging.config.dictConfig(json_log_config())
    log = logging.getLogger("suyuan.serve")
    for line in filter(None, (line.strip() for line in lines)):
        level = logging.WARNING if "warning:" in line[:20] else logging.INFO  # "suyuan: warning: ..."
        log.log(level, "start", extra={"fields": {"event": "start", "message": line}})


def _key_locations(settings: Settings) -> None:
    from suyuan.trace.privacy.keys import KEY_FILE_NAME

    log_key = "SUYUAN_LOG_KEY (environment)" if settings.log_key else str(settings.log_key_path)
    vault_key = "SUYUAN_VAULT_KEY (environment)" if settings.vault_key else str(settings.data_dir / KEY_FILE_NAME)
    print(f"log key    {log_key}  (not in the backup: keep a copy apart)")
    print(f"vault key  {vault_key}  (not in the backup: without it every sealed person is lost)")
    print(f"log state  {settings.log_state_path}  (the newest checkpoint the log published)")


def backup(settings: Settings, args: argparse.Namespace) -> int:
    from suyuan.ledger.backups import backup as write_backup
    from suyuan.runtime import initialised_engine

    initialised_engine(settings).dispose()  # refuses a missing or out-of-date database in one sentence
    done = write_backup(settings.sqlalchemy_url, Path(args.out))
    print(f"backup     {done.path} ({done.path.stat().st_size} bytes) of {done.database}")
    print(f"checkpoint tree size {done.tree_size}")
    _key_locations(settings)
    return 0


def restore(settings: Settings, args: argparse.Namespace) -> int:
    from suyuan.ledger.backups import restore as restore_backup
    from suyuan.ledger.published import PublishedState
    from suyuan.runtime import load_signer

    verifier_key = load_signer(settings).verifier_key(settings.log_origin)
    done = restore_backup(settings.sqlalchemy_url, Path(args.backup), verifier_key, settings.log_origin)
    print(f"restored   {args.backup} into {done.database}")
    if done.replaced:
        print(f"kept       the database it replaced, as {done.replaced} (drop it when satisfied)")
    print(f"verified   {done.audit.summary()}")
    _key_locations(settings)
    last = PublishedState(settings.log_state_path).last
    if last is not None and (done.tree_size or 0) < last.size:
        print(f"warning: the log last published {last.describe()}, newer than this backup (tree size "
              f"{done.tree_size}): it will refuse to sign until you restore a newer backup or run "
              "`suyuan log recover`", file=sys.stderr)
    return 0


def log_recover(settings: Settings, args: argparse.Namespace) -> int:
    from suyuan.runtime import open_initialised_ledger

    ledger = open_initialised_ledger(settings)
    try:
        before, now = ledger.sequencer.recover()
    finally:
        ledger.engine.dispose()
    print(f"log state  {settings.log_state_path}")
    print(f"remembered {before.describe() if before else 'nothing'}")
    print(f"now        {now.describe()} (the database's latest checkpoint)")
    if before is not None and before.size > now.size:
        print(f"warning: checkpoints of sizes above {now.size} up to {before.size} were published and are lost "
              "with the newer database: verifiers holding them will see the log fork; tell them", file=sys.stderr)
    return 0


def add_commands(sub: argparse._SubParsersAction, log: argparse._SubParsersAction, run) -> None:  # noqa: ANN001
    """Register the commands; `run` is the CLI's dispatcher, which calls `args.upkeep(settings, args)`."""
    p = sub.add_parser("backup", help="write a consistent copy of the database (the server may run)")
    p.add_argument("out", help="file to write: a SQLite database copy, or a pg_dump custom-format archive")
    p.set_defaults(func=run, upkeep=backup)
    p = sub.add_parser("restore", help="replace the database with a backup once it passes the audit "
                       "(stop the server first)")
    p.add_argument("backup", help="a file `suyuan backup` wrote")
    p.set_defaults(func=run, upkeep=restore)
    p = log.add_parser("recover", help="after restoring an older database: accept its log as the one to "
                       "extend, forgetting the newer checkpoint the log remembers")
    p.set_defaults(func=run, upkeep=log_recover)
