"""One log line per request (``solnode.request``) and per job (``solnode.job``), with its
fields in ``extra={"fields": ...}``; with ``SOLNODE_LOG_FORMAT=json`` every log line is one
JSON object (time, level, logger, message and those fields)."""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson

REQUEST_LOG = "solnode.request"
JOB_LOG = "solnode.job"


class JsonFormatter(logging.Formatter):
    """A log record as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            doc.update(fields)
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(doc, default=str).decode()


def use_log_level(level: str) -> None:
    """``SOLNODE_LOG_LEVEL`` for the node's own loggers (``solnode.*``: one line per request and
    per job at INFO), not only for the server's: ``warning`` keeps a busy node's log to problems."""
    logging.getLogger("solnode").setLevel(level.upper())


def use_json_logs() -> None:
    """Format every handler of the root logger (adding one if there is none) as JSON."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
    for handler in root.handlers:
        handler.setFormatter(JsonFormatter())
