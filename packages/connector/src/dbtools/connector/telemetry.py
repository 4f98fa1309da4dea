"""OpenTelemetry metrics and spans. Only the API is a dependency: with no SDK configured the
instruments are no-ops; once the application installs a MeterProvider / TracerProvider they
record. Names follow the Go connector's (dial latency, open connections, refreshes)."""

from __future__ import annotations

from opentelemetry import metrics, trace

from . import __version__

_SCOPE = "dbtools.connector"

tracer = trace.get_tracer(_SCOPE, __version__)
_meter = metrics.get_meter(_SCOPE, __version__)

dial_latency = _meter.create_histogram(
    "dbtools.connector.dial_latency",
    unit="ms",
    description="Time to open a connection to a Cloud SQL instance, certificate wait included",
)
dial_count = _meter.create_counter(
    "dbtools.connector.dial_count",
    description="Connection attempts, by instance and status",
)
open_connections = _meter.create_up_down_counter(
    "dbtools.connector.open_connections",
    description="Connections currently open through the connector",
)
refresh_count = _meter.create_counter(
    "dbtools.connector.refresh_count",
    description="Certificate refreshes, by instance and status",
)
refresh_latency = _meter.create_histogram(
    "dbtools.connector.refresh_latency",
    unit="ms",
    description="Time for one certificate refresh (both Admin API calls)",
)
