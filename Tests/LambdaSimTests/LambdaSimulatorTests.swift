import Foundation
import JSON
@testable import LambdaSim
import Testing
import TestSupport

/// The whole simulator against `scripts/fake_extension.py`, a minimal extension whose behaviour
/// is known, so what is checked here is the simulator.
@Suite("Simulator end to end")
struct LambdaSimulatorTests {
    static let fakeExtension = "\(packageRoot)/scripts/fake_extension.py"

    private func run(_ scenario: Scenario, mode: String = "normal") async throws -> SimulationReport {
        try await LambdaSimulator.run(SimulationOptions(
            extensionPath: Self.fakeExtension, scenario: scenario, environment: ["FAKE_EXTENSION_MODE": mode]))
    }

    @Test func happyPath() async throws {
        let scenario = try Scenario.load(path: "\(packageRoot)/scenarios/happy-path.json")
        let report = try await run(scenario)

        #expect(report.problems.isEmpty, "\(report.problems)")
        #expect(report.registered)
        #expect(report.extensionName == "fake_extension.py")
        #expect(report.initStartToRegisterMs != nil)
        #expect(report.registerToFirstNextMs != nil)
        #expect((report.peakRSSKB ?? 0) > 0)
        #expect(report.telemetrySubscription == "telemetry")
        #expect(report.telemetryTypes == ["function", "platform"])
        #expect(report.exitCode == 0)
        #expect(report.exitedWithinShutdownBudget)
        #expect(report.shutdownReason == .spindown)
        #expect(FileManager.default.fileExists(atPath: report.extensionLogPath))

        #expect(report.invocations.count == 10)
        for invocation in report.invocations {
            #expect(invocation.runtimeDoneStatus == "success")
            #expect(invocation.agentRequests.map(\.status) == [202, 202, 202])
            let next = try #require(invocation.nextCalledAtMs)
            #expect(next >= invocation.invokedAtMs)
            #expect(invocation.addedLatencyMs != nil)
        }
        #expect(report.events(ofType: "transaction").count == 10)
        #expect(report.events(ofType: "span").count == 20)
        #expect(report.events(ofType: "metricset").count == 10)
        #expect(report.addedLatency?.count == 10)

        // Lambda's ordering: invocation N's platform.report goes out only after the extension
        // called /event/next for N; the last one at shutdown, before SHUTDOWN is delivered.
        let reports = report.telemetryDeliveries.filter { $0.types.contains("platform.report") }
        #expect(report.telemetryDeliveries.flatMap(\.types).filter { $0 == "platform.report" }.count == 10)
        let firstReport = try #require(reports.first)
        #expect(firstReport.atMs >= (report.invocations[0].nextCalledAtMs ?? .infinity))
        #expect(report.telemetryDeliveries.allSatisfy { $0.status == 200 })

        // What reached the sink is the agent's data, and it validates.
        let path = IntakeValidator.temporaryPath("sink.ndjson")
        try report.writeSinkEvents(toNDJSON: path)
        let (status, output) = try IntakeValidator.validate(ndjson: path)
        #expect(status == 0, "\(output)")
    }

    @Test func reportRoundTripsAsJSON() async throws {
        let report = try await run(Scenario(invocations: [InvocationPlan(repeat: 2)]))
        let path = IntakeValidator.temporaryPath("report.json")
        try report.writeJSON(to: path)
        let decoded = try JSONDecoder().decode(SimulationReport.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(decoded.invocations == report.invocations)
        #expect(decoded.sinkRequests == report.sinkRequests)
        #expect(report.summary.contains("invocation 2"))
    }

    @Test func timeoutEndsTheEnvironment() async throws {
        let scenario = Scenario(timeoutMs: 600, invocations: [
            InvocationPlan(), InvocationPlan(durationMs: 5000, outcome: .timeout), InvocationPlan(),
        ])
        let report = try await run(scenario)
        #expect(report.problems.isEmpty, "\(report.problems)")
        #expect(report.invocations.map(\.runtimeDoneStatus) == ["success", "timeout"])
        #expect(report.invocations[1].flushedAtMs == nil)
        #expect(report.invocations[1].agentRequests.map(\.path) == ["/register/transaction"])
        #expect(report.shutdownReason == .timeout)
        #expect(report.events(ofType: "transaction").count == 1)
    }

    @Test func crashEndsTheEnvironment() async throws {
        let scenario = Scenario(invocations: [InvocationPlan(outcome: .crash), InvocationPlan()])
        let report = try await run(scenario)
        #expect(report.invocations.map(\.runtimeDoneStatus) == ["failure"])
        #expect(report.shutdownReason == .failure)
        #expect(report.exitedWithinShutdownBudget)
    }

    @Test func sinkBehaviourFollowsTheInvocation() async throws {
        let scenario = Scenario(invocations: [
            InvocationPlan(sink: .failure(status: 503)), InvocationPlan(sink: .ok), InvocationPlan(sink: .failure(status: 401)),
        ])
        let report = try await run(scenario)
        let byInvocation = Dictionary(grouping: report.sinkRequests.filter { $0.invocation != nil }) { $0.invocation! }
        #expect(byInvocation[0]?.map(\.status) == [503])
        #expect(byInvocation[1]?.map(\.status) == [202])
        #expect(byInvocation[2]?.map(\.status) == [401])
        #expect(report.invocations.map(\.sinkBehaviour) == ["503", "ok", "401"])
    }

    @Test(arguments: [AgentCompression.none, .gzip, .deflate])
    func agentCompressionReachesTheExtensionIntact(compression: AgentCompression) async throws {
        // The fake extension inflates and forwards: anything undecodable would not reach the sink.
        let report = try await run(Scenario(invocations: [InvocationPlan(compression: compression, flush: .withEvents)]))
        #expect(report.invocations.first?.agentRequests.map(\.status) == [202, 202])
        #expect(report.events(ofType: "span").count == 2)
    }

    @Test func logsOnlyPlatformMakesTheExtensionUseTheLogsAPI() async throws {
        let report = try await run(Scenario(telemetry: .logsOnly, invocations: [InvocationPlan(repeat: 2)]))
        #expect(report.telemetrySubscription == "logs")
        #expect(report.telemetryDeliveries.flatMap(\.types).contains("platform.runtimeDone"))
        #expect(!report.telemetryDeliveries.flatMap(\.types).contains("platform.initStart"))
    }

    @Test func anExtensionIgnoringShutdownIsKilled() async throws {
        let report = try await run(Scenario(invocations: [InvocationPlan()]), mode: "ignore-shutdown")
        #expect(!report.exitedWithinShutdownBudget)
        #expect(report.exitCode == -SIGKILL)
        #expect(report.extensionMisbehaved)
        #expect(report.problems.contains { $0.contains("SHUTDOWN") })
    }

    @Test func initErrorIsRecorded() async throws {
        let report = try await run(Scenario(invocations: [InvocationPlan()]), mode: "init-error")
        #expect(report.registered)
        #expect(report.initErrors.map(\.type) == ["Extension.ConfigError"])
        #expect(report.invocations.isEmpty)
        #expect(report.exitCode == 1)
        #expect(report.extensionMisbehaved)
    }

    @Test func aMissingBinaryIsAnError() async throws {
        await #expect(throws: SimulatorError.self) {
            _ = try await LambdaSimulator.run(SimulationOptions(extensionPath: "/nonexistent/extension", scenario: Scenario()))
        }
    }
}
