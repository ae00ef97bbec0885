import JSON

/// Builds the platform's events with the records real Lambda sends, for both APIs.
struct TelemetryEventFactory: Sendable {
    let scenario: Scenario

    private func event(_ type: String, _ telemetry: JSONObject, logs: JSONObject?) -> PlatformTelemetryEvent {
        PlatformTelemetryEvent(
            time: SimulationClock.telemetryTimestamp(), type: type, telemetryRecord: .object(telemetry),
            logsRecord: logs.map { .object($0) })
    }

    func initStart() -> PlatformTelemetryEvent {
        event("platform.initStart", [
            "initializationType": .string(scenario.initializationType), "phase": .string("init"), "runtimeVersion": .string("nodejs:20.v30"),
            "runtimeVersionArn": .string("arn:aws:lambda:us-east-1::runtime:0000000000000000000000000000000000000000000000000000000000000000"),
            "functionName": .string(scenario.functionName), "functionVersion": .string("$LATEST"),
        ], logs: nil)
    }

    func initRuntimeDone() -> PlatformTelemetryEvent {
        event("platform.initRuntimeDone", ["initializationType": .string(scenario.initializationType), "phase": .string("init"), "status": .string("success")], logs: nil)
    }

    func initReport() -> PlatformTelemetryEvent {
        event("platform.initReport", [
            "initializationType": .string(scenario.initializationType), "phase": .string("init"), "status": .string("success"),
            "metrics": .object(["durationMs": .number(scenario.initDurationMs)]),
        ], logs: nil)
    }

    func start(requestID: String) -> PlatformTelemetryEvent {
        var record: JSONObject = ["requestId": .string(requestID), "version": .string("$LATEST")]
        if scenario.managedInstances != nil { record["functionArn"] = .string(scenario.functionARN) }
        return event("platform.start", record, logs: ["requestId": .string(requestID), "version": .string("$LATEST")])
    }

    /// How Managed Instances end an invocation: no runtimeDone before it, and of the metrics only
    /// the duration (no billed duration, no memory figures).
    func managedInstancesReport(requestID: String, status: String, durationMs: Double) -> PlatformTelemetryEvent {
        var record: JSONObject = [
            "requestId": .string(requestID), "status": .string(status),
            "metrics": .object(["durationMs": .number(durationMs)]), "spans": .array([]),
        ]
        if status == "error" { record["errorType"] = .string("Runtime.HandlerError") }
        if status == "timeout" { record["errorType"] = .string("Sandbox.Timedout") }
        return event("platform.report", record, logs: nil)
    }

    func function(_ line: FunctionLogLine) -> PlatformTelemetryEvent {
        PlatformTelemetryEvent(
            time: SimulationClock.telemetryTimestamp(), type: "function", telemetryRecord: line.record,
            logsRecord: .string(line.text))
    }

    /// A log line as Managed Instances deliver it: a string per line; a JSON-format line (the
    /// runtime's logger, `AWS_LAMBDA_LOG_FORMAT=json`) names its request id, a printed text line does not.
    func managedInstancesFunction(_ line: FunctionLogLine, requestID: String) -> PlatformTelemetryEvent {
        var text = line.text
        if case .json(.object(var object)) = line {
            object["requestId"] = .string(requestID)
            var writer = JSONWriter()
            writer.write(.object(object))
            text = writer.text
        }
        return PlatformTelemetryEvent(time: SimulationClock.telemetryTimestamp(), type: "function", telemetryRecord: .string(text), logsRecord: nil)
    }

    func runtimeDone(requestID: String, status: String, durationMs: Double, producedBytes: Int) -> PlatformTelemetryEvent {
        event("platform.runtimeDone", [
            "requestId": .string(requestID), "status": .string(status),
            "metrics": .object(["durationMs": .number(durationMs), "producedBytes": .number(Double(producedBytes))]),
        ], logs: ["requestId": .string(requestID), "status": .string(status)])
    }

    /// `initDurationMs` only on the first invocation of the environment (a cold start).
    func report(requestID: String, status: String, durationMs: Double, coldStart: Bool) -> PlatformTelemetryEvent {
        var metrics: JSONObject = [
            "durationMs": .number(durationMs),
            "billedDurationMs": .number(durationMs.rounded(.up)),
            "memorySizeMB": .number(Double(scenario.memorySizeMB)),
            // A fixed figure: the function is simulated; deterministic beats realistic here.
            "maxMemoryUsedMB": .number(Double(min(scenario.memorySizeMB, 76))),
        ]
        // A restored SnapStart environment's first report tells the restore; its init was long before.
        if coldStart, let snapStart = scenario.snapStart {
            metrics["restoreDurationMs"] = .number(snapStart.restoreDurationMs)
        } else if coldStart {
            metrics["initDurationMs"] = .number(scenario.initDurationMs)
        }
        return event(
            "platform.report", ["requestId": .string(requestID), "status": .string(status), "metrics": .object(metrics)],
            logs: ["requestId": .string(requestID), "metrics": .object(metrics)])
    }

    /// What a SnapStart environment reports as it is restored from its snapshot.
    func restore(durationMs: Double) -> [PlatformTelemetryEvent] {
        [
            event("platform.restoreStart", ["runtimeVersion": .string("nodejs:20.v30")], logs: nil),
            event("platform.restoreRuntimeDone", ["status": .string("success")], logs: nil),
            event("platform.restoreReport", ["status": .string("success"), "metrics": .object(["durationMs": .number(durationMs)])], logs: nil),
        ]
    }
}
