import Foundation
import LambdaSim
import TestSupport
import Testing

/// Runs the real extension binary under `lambda-sim` and checks what every end-to-end test
/// checks: it behaved as Lambda requires, and everything that reached the sink is valid intake v2.
enum EndToEnd {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// The extension built beside the test bundle (so a sanitized `--scratch-path` build tests its
    /// own binary), else `.build/debug`.
    static var extensionPath: String {
        (try? BuiltProduct.path(of: "elastic-apm-lambda-extension")) ?? packageRoot + "/.build/debug/elastic-apm-lambda-extension"
    }

    static func run(
        _ scenario: Scenario, environment: [String: String] = [:], validate: Bool = true,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> SimulationReport {
        try #require(
            FileManager.default.isExecutableFile(atPath: extensionPath),
            "build the extension first (swift build): \(extensionPath) is missing", sourceLocation: sourceLocation)
        let report = try await LambdaSimulator.run(
            SimulationOptions(extensionPath: extensionPath, scenario: scenario, environment: environment))
        #expect(report.registered, "never registered; log: \(log(report))", sourceLocation: sourceLocation)
        #expect(report.problems.isEmpty, "\(report.problems); log: \(log(report))", sourceLocation: sourceLocation)
        #expect(report.exitCode == 0, "exit \(String(describing: report.exitCode)); log: \(log(report))", sourceLocation: sourceLocation)
        for invocation in report.invocations {
            if let next = invocation.nextCalledAtMs {
                // Never held past the function's deadline.
                let deadlineAtMs = invocation.invokedAtMs + Double(scenario.timeoutMs)
                #expect(next <= deadlineAtMs, "invocation \(invocation.index) held past its deadline", sourceLocation: sourceLocation)
            }
        }
        if validate { try validateSinkEvents(report, sourceLocation: sourceLocation) }
        return report
    }

    /// Every body the sink accepted starts with metadata and validates against the intake v2 schemas.
    static func validateSinkEvents(_ report: SimulationReport, sourceLocation: SourceLocation = #_sourceLocation) throws {
        for request in report.sinkRequests where request.path == "/intake/v2/events" && !request.events.isEmpty {
            #expect(request.eventTypes.first == "metadata", "a body must start with metadata", sourceLocation: sourceLocation)
        }
        let path = IntakeValidator.temporaryPath("e2e.ndjson")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try report.writeSinkEvents(toNDJSON: path)
        let (status, output) = try IntakeValidator.validate(ndjson: path)
        #expect(status == 0, "intake validation: \(output)", sourceLocation: sourceLocation)
    }

    static func log(_ report: SimulationReport) -> String {
        (try? String(contentsOfFile: report.extensionLogPath, encoding: .utf8)) ?? "<no log>"
    }

    /// The extension's log lines (ECS JSON) whose message contains `text`.
    static func logLines(_ report: SimulationReport, containing text: String) -> [String] {
        log(report).split(separator: "\n").map(String.init).filter { $0.contains(text) }
    }

    /// Parses one JSON event line the sink received.
    static func object(_ line: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
    }
}
