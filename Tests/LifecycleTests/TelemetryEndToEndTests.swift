import Foundation
import LambdaSim
import Testing

extension EndToEndTests {
    /// Platform metrics, function logs, proxy transactions and data without an agent, end to end
    /// through lambda-sim (issue 5).
    @Suite("Telemetry")
    struct Telemetry {
        private func metricsets(_ report: SimulationReport) -> [String: [String: Any]] {
            var byExecution: [String: [String: Any]] = [:]
            for line in report.events(ofType: "metricset") {
                guard let metricset = EndToEnd.object(line)["metricset"] as? [String: Any],
                    let faas = metricset["faas"] as? [String: Any], let execution = faas["execution"] as? String
                else { continue }
                byExecution[execution] = metricset
            }
            return byExecution
        }

        private func sample(_ metricset: [String: Any]?, _ name: String) -> Double? {
            ((metricset?["samples"] as? [String: Any])?[name] as? [String: Any])?["value"] as? Double
        }

        @Test("every platform.report becomes a metricset with the values sent; cold start on the first only; the last one too")
        func platformMetrics() async throws {
            let scenario = Scenario(
                functionName: "metrics", memorySizeMB: 256, timeoutMs: 4000, initDurationMs: 321.5,
                invocations: [InvocationPlan(repeat: 4, durationMs: 30)])
            let report = try await EndToEnd.run(scenario)
            let metricsets = metricsets(report)
            #expect(metricsets.count == 4, "one per invocation, including the last (reported at SHUTDOWN)")
            for (index, invocation) in report.invocations.enumerated() {
                let metricset = try #require(metricsets[invocation.requestID])
                let faas = try #require(metricset["faas"] as? [String: Any])
                #expect(faas["id"] as? String == scenario.functionARN)
                #expect(faas["coldstart"] as? Bool == (index == 0))
                #expect(sample(metricset, "faas.coldstart_duration") == (index == 0 ? 321.5 : 0))
                let duration = try #require(sample(metricset, "faas.duration"))
                #expect(abs(duration - invocation.durationMs) < 0.01)
                #expect(sample(metricset, "faas.billed_duration") == duration.rounded(.up))
                #expect(sample(metricset, "faas.timeout") == 4000)
                #expect(sample(metricset, "system.memory.total") == Double(256 * 1_048_576))
                #expect(sample(metricset, "system.memory.actual.free") == Double((256 - 76) * 1_048_576))
                #expect((metricset["timestamp"] as? Int ?? 0) > 1_700_000_000_000_000)
            }
        }

        @Test("a timeout gives a proxy transaction: result timeout, outcome failure, duration about the deadline")
        func timeoutProxyTransaction() async throws {
            let report = try await EndToEnd.run(Scenario(timeoutMs: 1500, invocations: [InvocationPlan(), InvocationPlan(outcome: .timeout)]))
            let timedOut = try #require(report.invocations.last)
            let proxies = report.events(ofType: "transaction").map(EndToEnd.object).compactMap { $0["transaction"] as? [String: Any] }
                .filter { ($0["faas"] as? [String: Any])?["execution"] as? String == timedOut.requestID }
            let proxy = try #require(proxies.first)
            #expect(proxies.count == 1)
            #expect(proxy["result"] as? String == "timeout")
            #expect(proxy["outcome"] as? String == "failure")
            let duration = try #require(proxy["duration"] as? Double)
            // From the transaction's start to the platform's runtimeDone at the 1500 ms deadline.
            #expect(duration > 1000 && duration < 2500, "about the 1500 ms timeout: \(duration)")
            // The timed-out invocation's report arrives only at SHUTDOWN; it is still shipped.
            #expect(metricsets(report)[timedOut.requestID] != nil)
        }

        @Test("a crash gives one proxy transaction with result failure")
        func crashProxyTransaction() async throws {
            let report = try await EndToEnd.run(Scenario(invocations: [InvocationPlan(), InvocationPlan(outcome: .crash)]))
            let crashed = try #require(report.invocations.last)
            let proxies = report.events(ofType: "transaction").map(EndToEnd.object).compactMap { $0["transaction"] as? [String: Any] }
                .filter { ($0["faas"] as? [String: Any])?["execution"] as? String == crashed.requestID }
            #expect(proxies.count == 1)
            #expect(proxies.first?["result"] as? String == "failure")
            #expect(proxies.first?["outcome"] as? String == "failure")
        }

        @Test("an agent that reports its transaction gets no proxy, even when the function errors")
        func noProxyWhenReported() async throws {
            let report = try await EndToEnd.run(Scenario(invocations: [InvocationPlan(repeat: 2), InvocationPlan(outcome: .error)]))
            #expect(report.events(ofType: "transaction").count == 3)
            #expect(Set(report.events(ofType: "transaction")).count == 3)
        }

        @Test("log lines carry the right execution id across batch boundaries, JSON logs keep their message")
        func functionLogs() async throws {
            let report = try await EndToEnd.run(Scenario(invocations: [
                InvocationPlan(repeat: 3, durationMs: 80, logs: [.text("first line"), .json(.object(["level": .string("warn"), "message": .string("json line")])), .text("third line")])
            ]))
            let logs = report.events(ofType: "log").map(EndToEnd.object).compactMap { $0["log"] as? [String: Any] }
            #expect(logs.count == 9)
            let requestIDs = Set(report.invocations.map(\.requestID))
            for log in logs {
                let faas = try #require(log["faas"] as? [String: Any])
                #expect(requestIDs.contains(faas["execution"] as? String ?? ""))
                #expect(faas["id"] as? String == Scenario().functionARN)
            }
            for invocation in report.invocations {
                let own = logs.filter { ($0["faas"] as? [String: Any])?["execution"] as? String == invocation.requestID }
                #expect(own.compactMap { $0["message"] as? String }.sorted() == ["first line", "json line", "third line"])
            }
            #expect(logs.contains { $0["log.level"] as? String == "warn" })
        }

        @Test("ELASTIC_APM_LAMBDA_CAPTURE_LOGS=false: no function logs, metrics still")
        func logsNotCaptured() async throws {
            let report = try await EndToEnd.run(
                Scenario(invocations: [InvocationPlan(repeat: 2)]), environment: ["ELASTIC_APM_LAMBDA_CAPTURE_LOGS": "false"])
            #expect(report.events(ofType: "log").isEmpty)
            #expect(metricsets(report).count == 2)
            #expect(!report.telemetryTypes.contains("function"))
        }

        @Test("a function without an agent still gets its metrics and logs, under synthesized metadata")
        func noAgent() async throws {
            let report = try await EndToEnd.run(
                Scenario(functionName: "no-agent", invocations: [InvocationPlan(repeat: 3, agent: false)]),
                environment: ["AWS_LAMBDA_FUNCTION_NAME": "no-agent", "AWS_REGION": "eu-west-1", "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12"])
            #expect(metricsets(report).count == 3)
            #expect(report.events(ofType: "log").count == 3)
            let metadata = try #require(report.events(ofType: "metadata").first.map(EndToEnd.object)?["metadata"] as? [String: Any])
            let service = try #require(metadata["service"] as? [String: Any])
            #expect(service["name"] as? String == "no-agent")
            #expect((service["runtime"] as? [String: Any])?["name"] as? String == "python")
            #expect((metadata["cloud"] as? [String: Any])?["provider"] as? String == "aws")
        }

        @Test("a platform without the Telemetry API: the extension falls back to the Logs API")
        func logsAPIFallback() async throws {
            let report = try await EndToEnd.run(Scenario(telemetry: .logsOnly, invocations: [InvocationPlan(repeat: 3, flush: .none)]))
            #expect(report.telemetrySubscription == "logs")
            // Without agent flushes, runtimeDone from the Logs API ends each invocation well before its deadline.
            for invocation in report.invocations {
                let next = try #require(invocation.nextCalledAtMs)
                #expect(next < invocation.invokedAtMs + 2500)
            }
            #expect(metricsets(report).count == 3)
            #expect(report.events(ofType: "transaction").count == 3)
        }

        @Test("a Telemetry API that answers 400 to every schema: the extension falls back to the Logs API")
        func badRequestFallback() async throws {
            let report = try await EndToEnd.run(Scenario(telemetry: .logsOnly, subscriptionRefusal: .badRequest, invocations: [InvocationPlan(repeat: 2)]))
            #expect(report.telemetrySubscription == "logs")
            #expect(metricsets(report).count == 2)
        }

        @Test("telemetry not available (202): the extension carries on with agent flushes")
        func telemetryNotAvailable() async throws {
            let report = try await EndToEnd.run(Scenario(telemetry: .notAvailable, invocations: [InvocationPlan(repeat: 2)]))
            #expect(report.events(ofType: "transaction").count == 2)
            #expect(!EndToEnd.logLines(report, containing: "not available").isEmpty)
        }

        @Test("an agent pointed past the extension is warned about, once, saying what to set")
        func misconfiguredAgent() async throws {
            let report = try await EndToEnd.run(
                Scenario(invocations: [InvocationPlan()]), environment: ["ELASTIC_APM_SERVER_URL": "https://apm.example.com:443"])
            let warnings = EndToEnd.logLines(report, containing: "ELASTIC_APM_SERVER_URL does not point at the extension")
            #expect(warnings.count == 1)
            #expect(warnings.first?.contains("ELASTIC_APM_SERVER_URL=http://localhost:") == true)
        }
    }
}

extension EndToEndTests.Telemetry {
    @Test("malformed and duplicated telemetry batches: refused or skipped, nothing emitted twice, nothing lost")
    func faultyTelemetry() async throws {
        let report = try await EndToEnd.run(Scenario(
            telemetryFaults: [.malformed, .duplicate],
            invocations: [InvocationPlan(repeat: 4, logs: [.text("one line")])]))
        let malformed = report.telemetryDeliveries.filter { $0.types == ["malformed"] }
        #expect(!malformed.isEmpty && malformed.allSatisfy { $0.status == 400 })
        #expect(report.telemetryDeliveries.filter { $0.types != ["malformed"] }.allSatisfy { $0.status == 200 })
        let metricsets = report.events(ofType: "metricset").filter { $0.contains("faas.billed_duration") }
        #expect(metricsets.count == 4, "one per invocation, none twice")
        #expect(report.events(ofType: "log").count == 4)
        #expect(report.events(ofType: "transaction").count == 4)
    }
}
