"""OpenTelemetry metrics and spans. Only the API is a dependency: with no SDK configured the
instruments are no-ops. Providers default to the global ones; a Connector may be given its own
(`meter_provider=`, `tracer_provider=`). Names follow the Go connector's (dial latency, open
connections, refreshes)."""

from __future__ import annotations

from typing import Any

from opentelemetry import metrics, trace

from .version import __version__

_SCOPE = "dbtools.connector"


class Telemetry:
    def __init__(self, meter_provider: Any = None, tracer_provider: Any = None) -> None:
        self.tracer = trace.get_tracer(_SCOPE, __version__, tracer_provider=tracer_provider)
        meter = metrics.get_meter(_SCOPE, __version__, meter_provider=meter_provider)
        self.dial_latency = meter.create_histogram(
            "dbtools.connector.dial_latency",
            unit="ms",
            description="Time to open a connection to a Cloud SQL instance, certificate wait "
            "included",
        )
        self.dial_count = meter.create_counter(
            "dbtools.connector.dial_count",
            description="Connection attempts, by instance and status",
        )
        self.open_connections = meter.create_up_down_counter(
            "dbtools.connector.open_connections",
            description="Connections currently open through the connector",
        )
        self.refresh_count = meter.create_counter(
            "dbtools.connector.refresh_count",
            description="Certificate refreshes, by instance and status",
        )
        self.refresh_latency = meter.create_histogram(
            "dbtools.connector.refresh_latency",
            unit="ms",
            description="Time for one certificate refresh (both Admin API calls)",
        )
