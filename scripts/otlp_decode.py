#!/usr/bin/env python3
"""Decodes the OTLP exports an APM Server sink received, for the tests (the Swift side has no
protobuf decoder).

Input (a file argument, or stdin): one JSON object a line, as lambda-sim's
SimulationReport.writeOTLPExports writes them: `path` (/v1/traces, /v1/metrics or /v1/logs) and
`body` (the inflated protobuf, base64); other fields are passed through per export.
Output: one JSON object: `exports` (per line: path, the passed-through fields, and how many
spans, data points or log records it held), `spans` (names), `metric_points` (name, attributes,
value), `log_records` (bodies), `services` (resource service.name values); each export also
lists its resources' `faas.invocation_id` values as `invocation_ids`. A body that does not
decode as its path's ExportServiceRequest is an error: exit status 1, the reason on stderr.
"""
import base64
import json
import sys

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

REQUESTS = {
    "/v1/traces": ExportTraceServiceRequest,
    "/v1/metrics": ExportMetricsServiceRequest,
    "/v1/logs": ExportLogsServiceRequest,
}


def value_of(any_value):
    kind = any_value.WhichOneof("value")
    return getattr(any_value, kind) if kind else None


def attributes(pairs):
    return {pair.key: value_of(pair.value) for pair in pairs}


def main() -> int:
    source = open(sys.argv[1]) if len(sys.argv) > 1 else sys.stdin
    out = {"exports": [], "spans": [], "metric_points": [], "log_records": [], "services": []}
    for number, line in enumerate(source, 1):
        if not line.strip():
            continue
        record = json.loads(line)
        message = REQUESTS[record["path"]]()
        try:
            message.ParseFromString(base64.b64decode(record["body"]))
        except Exception as error:  # noqa: BLE001 - any decoding failure is the answer
            print(f"line {number}: {record['path']} body does not decode: {error}", file=sys.stderr)
            return 1
        items = 0
        resources = [group.resource for group in
                     getattr(message, {"/v1/traces": "resource_spans", "/v1/metrics": "resource_metrics",
                                       "/v1/logs": "resource_logs"}[record["path"]])]
        invocation_ids = sorted({attributes(resource.attributes).get("faas.invocation_id") for resource in resources} - {None})
        if record["path"] == "/v1/traces":
            for resource_spans in message.resource_spans:
                out["services"].append(attributes(resource_spans.resource.attributes).get("service.name"))
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        out["spans"].append(span.name)
                        items += 1
        elif record["path"] == "/v1/metrics":
            for resource_metrics in message.resource_metrics:
                out["services"].append(attributes(resource_metrics.resource.attributes).get("service.name"))
                for scope_metrics in resource_metrics.scope_metrics:
                    for metric in scope_metrics.metrics:
                        data = getattr(metric, metric.WhichOneof("data"))
                        for point in data.data_points:
                            value = point.as_int if point.HasField("as_int") else point.as_double
                            out["metric_points"].append(
                                {"name": metric.name, "attributes": attributes(point.attributes), "value": value})
                            items += 1
        else:
            for resource_logs in message.resource_logs:
                out["services"].append(attributes(resource_logs.resource.attributes).get("service.name"))
                for scope_logs in resource_logs.scope_logs:
                    for log_record in scope_logs.log_records:
                        out["log_records"].append(value_of(log_record.body))
                        items += 1
        export = {key: value for key, value in record.items() if key != "body"}
        export["items"] = items
        export["invocation_ids"] = invocation_ids
        out["exports"].append(export)
    json.dump(out, sys.stdout, sort_keys=True)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
