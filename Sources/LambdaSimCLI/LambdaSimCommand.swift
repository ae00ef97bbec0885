import ArgumentParser
import Foundation
import LambdaSim

/// `lambda-sim`: runs an Elastic APM Lambda extension binary against a simulated Lambda platform,
/// function and APM Server, and says how it behaved.
@main
struct LambdaSimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lambda-sim",
        abstract: "Run a Lambda extension against a simulated Lambda platform and APM Server.",
        discussion: "Exits non-zero when the extension misbehaves (never registers within 10 s, does not exit within 2 s of SHUTDOWN, …).")

    @Option(help: "The extension executable to run.")
    var `extension`: String

    @Option(help: "Scenario JSON file (default: scenarios/happy-path.json).")
    var scenario: String = "scenarios/happy-path.json"

    @Option(help: "Write the report (figures and per-invocation data) as JSON to this file.")
    var json: String?

    @Option(help: "Write the extension's stdout and stderr to this file (default: a temporary file).")
    var log: String?

    @Option(help: "Write every intake line the APM Server sink received to this ndjson file.")
    var events: String?

    @Flag(help: "Also print every sink request and telemetry batch.")
    var verbose = false

    func run() async throws {
        let scenario: Scenario
        do {
            scenario = try Scenario.load(path: self.scenario)
        } catch {
            throw ValidationError("\(error)")
        }
        let report = try await LambdaSimulator.run(
            SimulationOptions(extensionPath: `extension`, scenario: scenario, logPath: log))
        if verbose {
            for request in report.sinkRequests {
                let status = request.status.map(String.init) ?? "no answer"
                print("\(Self.time(request.atMs)) sink \(request.method) \(request.path) -> \(status) [\(request.eventTypes.joined(separator: " "))]")
            }
            for delivery in report.telemetryDeliveries {
                let status = delivery.status.map(String.init) ?? delivery.error ?? "?"
                print("\(Self.time(delivery.atMs)) telemetry -> \(status): \(delivery.types.joined(separator: " "))")
            }
        }
        print(report.summary)
        if let json {
            try report.writeJSON(to: json)
            print("report: \(json)")
        }
        if let events {
            try report.writeSinkEvents(toNDJSON: events)
            print("sink events: \(events)")
        }
        if report.extensionMisbehaved { throw ExitCode(1) }
    }

    private static func time(_ milliseconds: Double) -> String {
        let text = String(format: "%.1f ms", milliseconds)
        return String(repeating: " ", count: max(0, 11 - text.count)) + text
    }
}
