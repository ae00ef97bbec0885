import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Runs `scripts/otel_function.py` for one invocation: a Python process with the real
/// OpenTelemetry SDK, exporting over OTLP/HTTP (protobuf) to the extension's receiver, and
/// force-flushing before it exits. It inherits the simulator's environment (where Python finds
/// its packages) plus the OTLP exporter's variables.
struct OTelFunction: Sendable {
    /// `http://127.0.0.1:<receiver port>`
    let receiverURL: String
    let serviceName: String
    let clock: SimulationClock

    /// The script: `LAMBDA_SIM_OTEL_FUNCTION` if set, else the one in this source tree, else
    /// `scripts/otel_function.py` under the current directory.
    static var scriptPath: String {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["LAMBDA_SIM_OTEL_FUNCTION"], !path.isEmpty { return path }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let inTree = packageRoot.appendingPathComponent("scripts/otel_function.py").path
        return FileManager.default.fileExists(atPath: inTree) ? inTree : "scripts/otel_function.py"
    }

    /// Runs it to its end, or kills it at `deadlineMs` (epoch ms) as Lambda stops a timed-out
    /// function. Recorded like an agent request: status 200 when it exited 0, else the reason.
    func run(_ plan: OTelPlan, requestID: String, deadlineMs: Int64) async -> AgentRequest {
        var record = AgentRequest(
            path: "otel_function.py", lines: plan.spans + (plan.metrics ? 1 : 0) + plan.logs, atMs: clock.elapsedMs(),
            status: nil, error: nil)
        var arguments = [Self.scriptPath, "--request-id", requestID, "--spans", "\(plan.spans)", "--logs", "\(plan.logs)", "--service", serviceName]
        if plan.metrics { arguments.append("--metrics") }
        var environment = ProcessInfo.processInfo.environment
        environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiverURL
        environment["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf"
        environment["OTEL_EXPORTER_OTLP_COMPRESSION"] = plan.gzip ? "gzip" : "none"
        let errorPath = FileManager.default.temporaryDirectory.appendingPathComponent("lambda-sim-otel-\(UUID().uuidString.prefix(8)).log").path
        defer { try? FileManager.default.removeItem(atPath: errorPath) }
        guard FileManager.default.createFile(atPath: errorPath, contents: nil), let errors = FileHandle(forWritingAtPath: errorPath) else {
            record.error = "cannot write \(errorPath)"
            return record
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = errors
        process.standardError = errors
        let exited = OneShotEvent<Int32>()
        process.terminationHandler = { process in
            let signalled = process.terminationReason == .uncaughtSignal
            exited.fire(signalled ? -process.terminationStatus : process.terminationStatus)
        }
        do {
            try process.run()
        } catch {
            try? errors.close()
            record.error = "cannot start python3: \(error.localizedDescription)"
            return record
        }
        let pid = process.processIdentifier
        let remaining = Int(max(0, deadlineMs - SimulationClock.epochMs()))
        var status = await exited.wait(timeoutMs: remaining)
        if status == nil {
            _ = Glibc.kill(pid, SIGKILL)
            status = await exited.wait(timeoutMs: nil)
        }
        try? errors.close()
        if status == 0 {
            record.status = 200
        } else {
            let output = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
            record.error = "otel_function.py exited \(status.map(String.init) ?? "?"): \(output.suffix(2000))"
        }
        return record
    }
}
