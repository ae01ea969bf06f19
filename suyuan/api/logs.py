"""The server's log lines: text (the default) or one JSON object a line (`suyuan serve --log-format json`).

Lines that carry a `fields` dict (one per request, one per sequencer run)
put those fields in the object; any other line has its message. Nothing
here adds data: what a line holds is decided where it is logged, and no
line holds a query string, a header, a client address or personal data.
uvicorn's own access log (which prints client addresses and query strings)
is switched off in JSON mode: the request lines replace it.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

FORMATS = ("text", "json")  # text: uvicorn's own lines, as before


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, then the record's `fields` or its message."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"
        line: dict[str, Any] = {"time": stamp, "level": record.levelname.lower(), "logger": record.name}
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        else:
            line["message"] = record.getMessage()
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info).strip().splitlines()[-1]
        return json.dumps(line, ensure_ascii=False, default=str)


def json_log_config() -> dict[str, Any]:
    """A `logging.config.dictConfig` for `uvicorn.run(log_config=...)`: every line JSON, on stderr."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {"stderr": handler},
        "loggers": {
            "suyuan": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            # Off: it prints client addresses and query strings; suyuan.access lines replace it.
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }  # fmt: skip
