import Foundation
import LambdaSim
import TestSupport
import Testing

extension EndToEndTests {
    /// Functions instrumented with the real OpenTelemetry Python SDK and its OTLP/HTTP exporter,
    /// under lambda-sim with the real extension (issue 17). What reached the sink is decoded with
    /// opentelemetry-proto (`scripts/otlp_decode.py`).
    @Suite("OpenTelemetry")
    struct OpenTelemetry {
        static let sdk = OTelPlan(spans: 3, metrics: true, logs: 2)
        /// A Python process per invocation takes most of a second on a busy machine: a long timeout.
        static let timeoutMs = 15_000
        static let key = ["ELASTIC_APM_API_KEY": "the-key"]

        /// What `scripts/otlp_decode.py` made of the accepted OTLP exports.
        struct Decoded {
            var spans: [String]
            var logRecords: [String]
            /// `faas.invocation_id` of each `otel.invocations` data point.
            var metricInvocations: [String]
            /// Per accepted export: its path, the sink's invocation, and the request ids it holds.
            var exports: [(path: String, invocation: Int?, requestIDs: [String], authorization: String?)]
        }

        static func decode(_ report: SimulationReport, accepted: Bool = true) throws -> Decoded {
            let path = IntakeValidator.temporaryPath("otlp.jsonl")
            defer { try? FileManager.default.removeItem(atPath: path) }
            var filtered = report
            filtered.sinkRequests = report.sinkRequests.filter { $0.isOTLP && (!accepted || $0.status == 200) }
            try filtered.writeOTLPExports(toJSONLines: path)
            let output = try Subprocess.run(["python3", Subprocess.repositoryRoot + "/scripts/otlp_decode.py", path])
            let json = try #require(try JSONSerialization.jsonObject(with: output) as? [String: Any])
            let points = json["metric_points"] as? [[String: Any]] ?? []
            let exports = (json["exports"] as? [[String: Any]] ?? []).map { export in
                (
                    path: export["path"] as? String ?? "", invocation: export["invocation"] as? Int,
                    requestIDs: export["invocation_ids"] as? [String] ?? [], authorization: export["authorization"] as? String
                )
            }
            return Decoded(
                spans: json["spans"] as? [String] ?? [], logRecords: json["log_records"] as? [String] ?? [],
                metricInvocations: points.filter { $0["name"] as? String == "otel.invocations" }
                    .compactMap { ($0["attributes"] as? [String: Any])?["faas.invocation_id"] as? String },
                exports: exports)
        }

        /// Every span, data point and log record of `plan` for each of `invocations` arrived exactly once.
        static func expectEverythingOnce(_ decoded: Decoded, _ plans: [(requestID: String, plan: OTelPlan)], sourceLocation: SourceLocation = #_sourceLocation) {
            let spans = plans.flatMap { $0.plan.spanNames(requestID: $0.requestID) }
            let logs = plans.flatMap { $0.plan.logBodies(requestID: $0.requestID) }
            let metrics = plans.filter(\.plan.metrics).map(\.requestID)
            #expect(decoded.spans.sorted() == spans.sorted(), sourceLocation: sourceLocation)
            #expect(decoded.logRecords.sorted() == logs.sorted(), sourceLocation: sourceLocation)
            #expect(decoded.metricInvocations.sorted() == metrics.sorted(), sourceLocation: sourceLocation)
        }

        static func plans(_ report: SimulationReport, _ scenario: Scenario) -> [(requestID: String, plan: OTelPlan)] {
            zip(report.invocations, scenario.expandedInvocations).compactMap { invocation, plan in
                plan.otel.map { (invocation.requestID, $0) }
            }
        }

        /// The SDK's own exports all succeeded (the receiver answered 200 at once).
        static func expectSDKSucceeded(_ report: SimulationReport, sourceLocation: SourceLocation = #_sourceLocation) {
            let runs = report.invocations.flatMap(\.agentRequests).filter { $0.path == "otel_function.py" }
            #expect(!runs.isEmpty, sourceLocation: sourceLocation)
            for run in runs { #expect(run.status == 200, "\(run.error ?? "")", sourceLocation: sourceLocation) }
        }

        @Test("syncflush: every span, metric and log record arrives once, gzip'd protobuf with the extension's API key, before /next")
        func syncFlush() async throws {
            let scenario = Scenario(timeoutMs: Self.timeoutMs, invocations: [
                InvocationPlan(repeat: 2, agent: false, otel: Self.sdk),
                InvocationPlan(agent: false, otel: OTelPlan(spans: 2, metrics: true, logs: 1, gzip: true)),
            ])
            let report = try await EndToEnd.run(scenario, environment: Self.key)
            Self.expectSDKSucceeded(report)
            let decoded = try Self.decode(report)
            Self.expectEverythingOnce(decoded, Self.plans(report, scenario))
            let otlp = report.sinkRequests.filter(\.isOTLP)
            for request in otlp {
                #expect(request.status == 200)
                #expect(request.headers["authorization"] == "ApiKey the-key")
                #expect(request.headers["content-type"] == "application/x-protobuf")
                #expect(request.headers["content-encoding"] == "gzip")
                #expect(request.headers["user-agent"]?.hasPrefix("apm-aws-lambda/") == true)
                #expect(request.headers["user-agent"]?.contains("OTel-OTLP-Exporter-Python") == true)
            }
            // syncflush: each invocation's exports reached the sink before its /next.
            for invocation in report.invocations {
                let next = try #require(invocation.nextCalledAtMs)
                let shipped = decoded.exports.filter { $0.requestIDs.contains(invocation.requestID) }
                #expect(shipped.count == 3, "\(shipped)")
                let times = otlp.filter { request in
                    request.invocation == invocation.index
                }.map(\.atMs)
                #expect(times.allSatisfy { $0 <= next }, "invocation \(invocation.index): an export after /next")
                #expect(shipped.allSatisfy { $0.invocation == invocation.index }, "shipped during its own invocation")
            }
        }

        @Test("background: every item arrives once, during its own invocation")
        func background() async throws {
            let scenario = Scenario(timeoutMs: Self.timeoutMs, invocations: [InvocationPlan(repeat: 3, agent: false, otel: Self.sdk)])
            let report = try await EndToEnd.run(scenario, environment: Self.key.merging(["ELASTIC_APM_SEND_STRATEGY": "background"]) { $1 })
            Self.expectSDKSucceeded(report)
            let decoded = try Self.decode(report)
            Self.expectEverythingOnce(decoded, Self.plans(report, scenario))
            for invocation in report.invocations {
                let shipped = decoded.exports.filter { $0.requestIDs.contains(invocation.requestID) }
                #expect(shipped.count == 3)
                #expect(shipped.allSatisfy { $0.invocation == invocation.index }, "shipped at its invocation's end, not in the next one")
            }
        }

        @Test("classic agent and OpenTelemetry SDK in one function: both arrive; the SDK's exports (after the agent's flush) before /next")
        func mixed() async throws {
            let scenario = Scenario(timeoutMs: Self.timeoutMs, invocations: [InvocationPlan(repeat: 3, compression: .gzip, otel: Self.sdk)])
            let report = try await EndToEnd.run(scenario, environment: Self.key)
            Self.expectSDKSucceeded(report)
            #expect(report.events(ofType: "transaction").count == 3)
            #expect(report.events(ofType: "span").count == 6)
            let decoded = try Self.decode(report)
            Self.expectEverythingOnce(decoded, Self.plans(report, scenario))
            for invocation in report.invocations {
                let next = try #require(invocation.nextCalledAtMs)
                let flushed = try #require(invocation.flushedAtMs)
                // The agent flushed first; the invocation still waited for the runtime (and so the SDK).
                #expect(next >= invocation.runtimeDoneAtMs && invocation.runtimeDoneAtMs > flushed)
                let shipped = decoded.exports.filter { $0.requestIDs.contains(invocation.requestID) }
                #expect(shipped.count == 3)
                #expect(shipped.allSatisfy { $0.invocation == invocation.index }, "the SDK's data shipped before /next")
                let intake = report.sinkRequests.filter { $0.atMs <= next }.flatMap(\.events)
                #expect(intake.contains { $0.contains(invocation.requestID) && $0.hasPrefix("{\"transaction\"") })
            }
        }

        @Test("APM Server down: OTLP exports are kept, retried, and delivered once it is back or at SHUTDOWN, each once")
        func outage() async throws {
            let scenario = Scenario(timeoutMs: Self.timeoutMs, invocations: [
                InvocationPlan(repeat: 2, sink: .failure(status: 503), agent: false, otel: Self.sdk),
                InvocationPlan(sink: .ok, agent: false),
            ])
            let report = try await EndToEnd.run(scenario, environment: Self.key)
            Self.expectSDKSucceeded(report)
            #expect(report.sinkRequests.contains { $0.isOTLP && $0.status == 503 }, "the outage was seen")
            #expect(!EndToEnd.logLines(report, containing: "sending to APM Server failed").isEmpty)
            let decoded = try Self.decode(report)
            Self.expectEverythingOnce(decoded, Self.plans(report, scenario))
            #expect(decoded.exports.allSatisfy { $0.invocation == nil || $0.invocation == 2 }, "delivered after the outage")
            let shutdown = try #require(EndToEnd.logLines(report, containing: "\"shut down\"").first)
            #expect(shutdown.contains("\"otlp.exports.held\":\"0\""), "\(shutdown)")
        }

        @Test("ELASTIC_APM_LAMBDA_OTLP_ENDPOINT sends OTLP to another endpoint, with the same credentials; intake stays with APM Server")
        func otlpEndpoint() async throws {
            let otlpSink = try await APMServerSink.start()
            let scenario = Scenario(timeoutMs: Self.timeoutMs, invocations: [InvocationPlan(repeat: 2, otel: Self.sdk)])
            let report = try await EndToEnd.run(
                scenario, environment: Self.key.merging(["ELASTIC_APM_LAMBDA_OTLP_ENDPOINT": otlpSink.url + "/"]) { $1 })
            let redirected = otlpSink.requests
            await otlpSink.stop()
            Self.expectSDKSucceeded(report)
            #expect(!report.sinkRequests.contains { $0.isOTLP }, "no OTLP reached APM Server")
            #expect(report.events(ofType: "transaction").count == 2, "intake still reached APM Server")
            #expect(redirected.allSatisfy { $0.isOTLP }, "only OTLP reached the OTLP endpoint: \(redirected.map(\.path))")
            #expect(redirected.allSatisfy { $0.headers["authorization"] == "ApiKey the-key" && $0.status == 200 })
            var onlyRedirected = report
            onlyRedirected.sinkRequests = redirected
            let decoded = try Self.decode(onlyRedirected)
            Self.expectEverythingOnce(decoded, Self.plans(report, scenario))
        }
    }
}
