import JSON

/// Builds the platform's events with the records real Lambda sends, for both APIs.
struct TelemetryEventFactory: Sendable {
    let scenario: Scenario

    private func event(_ type: String, _ telemetry: JSONObject, logs: JSONObject?) -> TelemetryEvent {
        TelemetryEvent(
            time: SimulationClock.telemetryTimestamp(), type: type, telemetryRecord: .object(telemetry),
            logsRecord: logs.map { .object($0) })
    }

    func initStart() -> TelemetryEvent {
        event("platform.initStart", [
            "initializationType": .string("on-demand"), "phase": .string("init"), "runtimeVersion": .string("nodejs:20.v30"),
            "runtimeVersionArn": .string("arn:aws:lambda:us-east-1::runtime:0000000000000000000000000000000000000000000000000000000000000000"),
            "functionName": .string(scenario.functionName), "functionVersion": .string("$LATEST"),
        ], logs: nil)
    }

    func initRuntimeDone() -> TelemetryEvent {
        event("platform.initRuntimeDone", ["initializationType": .string("on-demand"), "phase": .string("init"), "status": .string("success")], logs: nil)
    }

    func initReport() -> TelemetryEvent {
        event("platform.initReport", [
            "initializationType": .string("on-demand"), "phase": .string("init"), "status": .string("success"),
            "metrics": .object(["durationMs": .number(scenario.initDurationMs)]),
        ], logs: nil)
    }

    func start(requestID: String) -> TelemetryEvent {
        event(
            "platform.start", ["requestId": .string(requestID), "version": .string("$LATEST")],
            logs: ["requestId": .string(requestID), "version": .string("$LATEST")])
    }

    func function(_ line: FunctionLogLine) -> TelemetryEvent {
        TelemetryEvent(
            time: SimulationClock.telemetryTimestamp(), type: "function", telemetryRecord: line.record,
            logsRecord: .string(line.text))
    }

    func runtimeDone(requestID: String, status: String, durationMs: Double, producedBytes: Int) -> TelemetryEvent {
        event("platform.runtimeDone", [
            "requestId": .string(requestID), "status": .string(status),
            "metrics": .object(["durationMs": .number(durationMs), "producedBytes": .number(Double(producedBytes))]),
        ], logs: ["requestId": .string(requestID), "status": .string(status)])
    }

    /// `initDurationMs` only on the first invocation of the environment (a cold start).
    func report(requestID: String, status: String, durationMs: Double, coldStart: Bool) -> TelemetryEvent {
        var metrics: JSONObject = [
            "durationMs": .number(durationMs),
            "billedDurationMs": .number(durationMs.rounded(.up)),
            "memorySizeMB": .number(Double(scenario.memorySizeMB)),
            // A fixed figure: the function is simulated; deterministic beats realistic here.
            "maxMemoryUsedMB": .number(Double(min(scenario.memorySizeMB, 76))),
        ]
        if coldStart { metrics["initDurationMs"] = .number(scenario.initDurationMs) }
        return event(
            "platform.report", ["requestId": .string(requestID), "status": .string(status), "metrics": .object(metrics)],
            logs: ["requestId": .string(requestID), "metrics": .object(metrics)])
    }
}
