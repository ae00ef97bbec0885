import Foundation
import JSON
import LambdaSim
import Testing

extension EndToEndTests {
    /// The real extension under lambda-sim playing Lambda Managed Instances: overlapping
    /// invocations, no INVOKE, four worker processes with an agent each, no runtimeDone.
    @Suite("Managed Instances")
    struct ManagedInstancesMode {
        static let workers = 4

        /// Invocation 0 runs long, but shorter than a batch may age (2 s): the short ones 1–6 must
        /// ship when they end, not with it. 7 times out with a registered transaction.
        static let scenario = Scenario(
            timeoutMs: 4000, managedInstances: ManagedInstances(concurrency: 8, agentProcesses: workers),
            invocations: [
                InvocationPlan(durationMs: 1500, logs: [.json(.object(["level": .string("info"), "message": .string("handled")])), .text("printed")]),
                InvocationPlan(repeat: 6, durationMs: 100, logs: [.json(.object(["level": .string("info"), "message": .string("handled")])), .text("printed")]),
                InvocationPlan(outcome: .timeout, logs: [.json(.object(["level": .string("info"), "message": .string("handled")]))]),
            ])

        static func index(ofRequest requestID: String) -> Int? {
            requestID.split(separator: "-").last.flatMap { Int($0, radix: 16) }.map { $0 - 1 }
        }

        @Test("8 overlapping invocations from 4 agents: every event once, under its own agent's metadata, metrics per invocation, a proxy for the timeout")
        func overlappingInvocations() async throws {
            let report = try await EndToEnd.run(Self.scenario)
            let requestIDs = report.invocations.map(\.requestID)
            #expect(report.invocations.count == 8)

            // Every transaction once: 7 from the agents, 1 proxy for the invocation that timed out.
            let transactions = report.events(ofType: "transaction").map { EndToEnd.object($0)["transaction"] as? [String: Any] ?? [:] }
            let executions = transactions.compactMap { ($0["faas"] as? [String: Any])?["execution"] as? String }
            #expect(executions.sorted() == requestIDs.sorted(), "\(executions)")
            let proxies = transactions.filter { $0["result"] as? String == "timeout" }
            #expect(proxies.count == 1)
            #expect((proxies.first?["faas"] as? [String: Any])?["execution"] as? String == requestIDs[7])
            #expect(proxies.first?["outcome"] as? String == "failure")
            #expect(report.events(ofType: "span").count == 7 * 2)
            #expect(Set(report.events(ofType: "span")).count == 7 * 2)

            // One metadata line per request, and only the events of the agent that sent it.
            for request in report.sinkRequests where request.path == "/intake/v2/events" {
                #expect(request.eventTypes.filter { $0 == "metadata" }.count == 1)
                guard let metadata = request.events.first.map(EndToEnd.object)?["metadata"] as? [String: Any],
                    let worker = ((metadata["service"] as? [String: Any])?["node"] as? [String: Any])?["configured_name"] as? String
                else { continue } // synthesized metadata: extension events only
                for line in request.events where line.hasPrefix("{\"transaction\"") {
                    let transaction = EndToEnd.object(line)["transaction"] as? [String: Any] ?? [:]
                    guard transaction["result"] as? String != "timeout" else { continue } // the extension's own proxy
                    let execution = (transaction["faas"] as? [String: Any])?["execution"] as? String ?? ""
                    #expect(worker == "worker-\((Self.index(ofRequest: execution) ?? -1) % Self.workers)", "\(execution) under \(worker)")
                }
            }

            // Platform metrics per invocation, with what the report has and nothing it lacks.
            let metricsets = report.events(ofType: "metricset").map { EndToEnd.object($0)["metricset"] as? [String: Any] ?? [:] }
            let platform = metricsets.filter { ($0["samples"] as? [String: Any])?["faas.duration"] != nil }
            #expect(platform.compactMap { ($0["faas"] as? [String: Any])?["execution"] as? String }.sorted() == requestIDs.sorted())
            for metricset in platform {
                let samples = metricset["samples"] as? [String: Any] ?? [:]
                #expect(samples["faas.billed_duration"] == nil && samples["system.memory.total"] == nil && samples["faas.timeout"] == nil)
                #expect((metricset["faas"] as? [String: Any])?["coldstart"] == nil)
            }

            // Logs: a JSON line names its invocation; a printed line while several run names none.
            let logs = report.events(ofType: "log").map { EndToEnd.object($0)["log"] as? [String: Any] ?? [:] }
            let handled = logs.filter { $0["message"] as? String == "handled" }
            #expect(handled.compactMap { ($0["faas"] as? [String: Any])?["execution"] as? String }.sorted() == requestIDs.sorted())
            let printed = logs.filter { $0["message"] as? String == "printed" }
            #expect(printed.count == 7)
            #expect(printed.allSatisfy { ($0["faas"] as? [String: Any])?["execution"] == nil })

            // The short invocations' data did not wait for the long one to end.
            let longEnded = report.invocations[0].runtimeDoneAtMs
            for invocation in report.invocations[1...6] {
                let arrived = report.sinkRequests.first { request in
                    request.events.contains { $0.hasPrefix("{\"transaction\"") && $0.contains(invocation.requestID) }
                }
                #expect((arrived?.atMs ?? .infinity) < longEnded, "invocation \(invocation.index) waited for invocation 0")
            }

            #expect(EndToEnd.logLines(report, containing: "registered for SHUTDOWN only").count == 1)
            #expect(EndToEnd.logLines(report, containing: "syncflush does not apply").count == 1)
            #expect(report.telemetrySubscription == "telemetry")
        }
    }
}
