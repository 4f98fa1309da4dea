"""Which of the `--beam-args` Apache Beam does not know."""

from __future__ import annotations

import logging
import shlex


def unknown_pipeline_args(beam_args: str) -> list[str]:
    """The arguments in `beam_args` that Beam cannot parse. Beam itself only logs that it
    discards them, so a misspelt `--runnr=DataflowRunner` would run on the DirectRunner."""
    from apache_beam.options.pipeline_options import PipelineOptions

    discarded: list[str] = []

    class _Discarded(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            args = record.args if isinstance(record.args, tuple) else ()
            if record.msg == "Discarding unparseable args: %s" and args:
                discarded.extend(str(a) for a in args[0])  # type: ignore[attr-defined]

    log = logging.getLogger("apache_beam.options.pipeline_options")
    handler = _Discarded(logging.WARNING)
    log.addHandler(handler)
    try:
        PipelineOptions(shlex.split(beam_args)).get_all_options()
    finally:
        log.removeHandler(handler)
    return discarded
