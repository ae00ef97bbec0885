import ArgumentParser
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

    @Option(help: "Scenario JSON file (default: scenarios/happy-path.json, else 10 plain invocations).")
    var scenario: String?

    @Option(help: "Write the report (figures and per-invocation data) as JSON to this file.")
    var json: String?

    @Option(help: "Write the extension's stdout and stderr to this file (default: a temporary file).")
    var log: String?

    @Option(help: "Write every intake line the APM Server sink received to this ndjson file.")
    var events: String?

    @Option(name: .customLong("env"), help: "Extra environment for the extension, KEY=VALUE (repeatable; over the scenario's).")
    var environment: [String] = []

    @Flag(help: "Also print every sink request and telemetry batch.")
    var verbose = false

    func run() async throws {
        let scenario: Scenario
        do {
            scenario = try loadScenario()
        } catch {
            throw ValidationError("\(error)")
        }
        let report = try await LambdaSimulator.run(
            SimulationOptions(extensionPath: `extension`, scenario: scenario, environment: try parsedEnvironment(), logPath: log))
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

    private func parsedEnvironment() throws -> [String: String] {
        var result: [String: String] = [:]
        for assignment in environment {
            guard let equals = assignment.firstIndex(of: "="), equals != assignment.startIndex else {
                throw ValidationError("--env wants KEY=VALUE, got \(assignment)")
            }
            result[String(assignment[..<equals])] = String(assignment[assignment.index(after: equals)...])
        }
        return result
    }

    /// The named file; without one, the shipped happy path when run from the package, else the
    /// built-in default (the same ten successful invocations, without the file's details).
    private func loadScenario() throws -> Scenario {
        if let path = scenario { return try Scenario.load(path: path) }
        return try Scenario.loadDefault(shippedAt: "scenarios/happy-path.json")
    }

    private static func time(_ milliseconds: Double) -> String {
        let tenths = Int((abs(milliseconds) * 10).rounded())
        let text = "\(milliseconds < 0 ? "-" : "")\(tenths / 10).\(tenths % 10) ms"
        return String(repeating: " ", count: max(0, 11 - text.count)) + text
    }
}
