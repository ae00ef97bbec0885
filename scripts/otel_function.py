#!/usr/bin/env python3
"""One invocation of a Lambda function instrumented with the OpenTelemetry Python SDK.

lambda-sim runs it as the function's process for invocations whose plan has "otel" (see
scenarios/README.md). It builds the SDK's tracer, meter and logger providers with the OTLP/HTTP
exporters (endpoint and protocol from OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_EXPORTER_OTLP_PROTOCOL,
which the simulator points at the extension's receiver), emits spans, one metric data point and
log records whose names carry the request id, and force-flushes before exiting, as a Lambda
wrapper does before the handler returns. Exit status: 0 when every export succeeded, 1 otherwise.

    otel_function.py --request-id ID [--spans N] [--metrics] [--logs N] [--service NAME]
"""
import argparse
import logging
import sys

from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--request-id", required=True)
    parser.add_argument("--spans", type=int, default=0)
    parser.add_argument("--metrics", action="store_true")
    parser.add_argument("--logs", type=int, default=0)
    parser.add_argument("--service", default="sim-function")
    args = parser.parse_args()
    resource = Resource.create({"service.name": args.service, "faas.invocation_id": args.request_id})
    ok = True

    if args.spans:
        tracer_provider = TracerProvider(resource=resource)
        tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        tracer = tracer_provider.get_tracer("lambda-sim")
        with tracer.start_as_current_span(f"otel handler {args.request_id}"):
            for number in range(1, args.spans):
                with tracer.start_as_current_span(f"otel span {number} {args.request_id}"):
                    pass
        ok &= tracer_provider.force_flush()
        tracer_provider.shutdown()

    if args.metrics:
        # A reader that exports only when flushed (an interval longer than any invocation).
        reader = PeriodicExportingMetricReader(OTLPMetricExporter(), export_interval_millis=3_600_000)
        # No shutdown: it would export the cumulative point a second time.
        meter_provider = MeterProvider(resource=resource, metric_readers=[reader], shutdown_on_exit=False)
        counter = meter_provider.get_meter("lambda-sim").create_counter("otel.invocations")
        counter.add(1, {"faas.invocation_id": args.request_id})
        ok &= meter_provider.force_flush()

    if args.logs:
        logger_provider = LoggerProvider(resource=resource)
        logger_provider.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter()))
        logger = logging.getLogger("lambda-sim.otel")
        logger.propagate = False
        logger.setLevel(logging.INFO)
        handler = LoggingHandler(level=logging.INFO, logger_provider=logger_provider)
        logger.addHandler(handler)
        for number in range(1, args.logs + 1):
            logger.info("otel log %d %s", number, args.request_id)
        ok &= logger_provider.force_flush()
        logger.removeHandler(handler)
        logger_provider.shutdown()

    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
