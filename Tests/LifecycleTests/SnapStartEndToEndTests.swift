import Foundation
import LambdaSim
import Testing

extension EndToEndTests {
    /// The real extension under lambda-sim playing a SnapStart snapshot and restore.
    @Suite("SnapStart")
    struct SnapStartMode {
        @Test("a restored copy sends nothing on connections from before the snapshot; init's data and the restore's duration arrive")
        func restoredCopy() async throws {
            let report = try await EndToEnd.run(Scenario(snapStart: SnapStart(pauseMs: 300, restoreDurationMs: 180), invocations: [InvocationPlan(repeat: 3)]))
            // EndToEnd.run has checked `problems`: no request came on a connection the snapshot killed.
            #expect(report.restoredAtMs != nil)
            #expect(report.initAgentRequests.map(\.status) == [200, 202], "the agent's init requests went through the extension")
            #expect(report.sinkRequests.contains { $0.method == "GET" && $0.path == "/" }, "init pooled a connection to APM Server")
            // The span the function's init sent waited for the restored copy, then arrived once.
            #expect(report.events(ofType: "span").filter { $0.contains("\"name\":\"extra 0\"") }.count == 1)
            #expect(report.events(ofType: "transaction").count == 3)

            let first = report.invocations[0].requestID
            let metricset = report.events(ofType: "metricset").map { EndToEnd.object($0)["metricset"] as? [String: Any] ?? [:] }
                .first { ($0["faas"] as? [String: Any])?["execution"] as? String == first }
            let samples = metricset?["samples"] as? [String: Any] ?? [:]
            #expect((samples["faas.restore_duration"] as? [String: Any])?["value"] as? Double == 180)
            #expect((samples["faas.coldstart_duration"] as? [String: Any])?["value"] as? Double == 180)
            #expect((metricset?["faas"] as? [String: Any])?["coldstart"] as? Bool == true)
            #expect(EndToEnd.logLines(report, containing: "restored from a SnapStart snapshot").count == 1)
        }

        @Test("the time frozen does not age a batch: init's span, frozen longer than a batch may wait, ships with the first invocation")
        func frozenTimeAgesNothing() async throws {
            // Frozen for longer than BatchPolicy's 2 s age: on a clock that counts the freeze, the
            // batch init opened would be due at once and go alone as the copy is restored.
            let report = try await EndToEnd.run(Scenario(snapStart: SnapStart(pauseMs: 2300), invocations: [InvocationPlan(repeat: 1)]))
            let intake = report.sinkRequests.filter { $0.path.hasPrefix("/intake") }
            let carryingInit = intake.filter { request in request.events.contains { $0.contains("\"name\":\"extra 0\"") } }
            #expect(carryingInit.count == 1)
            let requestID = report.invocations[0].requestID
            #expect(
                carryingInit.first?.events.contains { $0.hasPrefix("{\"transaction\"") && $0.contains(requestID) } == true,
                "init's span went in the same request as the first invocation's transaction")
        }
    }
}
