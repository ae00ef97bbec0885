package import JSON

/// Turns a `platform.report` into the `metricset` event of docs/ARCHITECTURE.md, "Platform metrics". Pure.
package enum PlatformMetrics {
    /// Samples only for what the report has: a field it lacks (billed duration and memory on
    /// Lambda Managed Instances) is left out, not guessed.
    /// - Parameters:
    ///   - functionARN: `faas.id`.
    ///   - invocationStartMilliseconds: wall-clock ms when the invocation began (for `faas.timeout`);
    ///     nil when the extension never saw its INVOKE.
    ///   - deadlineMilliseconds: the invocation's `deadlineMs`.
    ///   - coldStartKnown: whether a report without `initDurationMs` means a warm start (one
    ///     invocation at a time); where invocations share an environment it says nothing.
    package static func metricset(
        report: TelemetryEvent.Report, functionARN: String?, invocationStartMilliseconds: Int64?,
        deadlineMilliseconds: Int64?, timestampMicroseconds: Int64, coldStartKnown: Bool = true
    ) -> JSONValue {
        let megabyte = 1_048_576.0
        var samples: JSONObject = ["faas.duration": sample(report.durationMilliseconds)]
        if let billed = report.billedDurationMilliseconds { samples["faas.billed_duration"] = sample(billed) }
        if let total = report.memorySizeMB {
            samples["system.memory.total"] = sample(total * megabyte)
            if let used = report.maxMemoryUsedMB { samples["system.memory.actual.free"] = sample(max(0, total - used) * megabyte) }
        }
        if let restore = report.restoreDurationMilliseconds { samples["faas.restore_duration"] = sample(restore) }
        if let start = invocationStartMilliseconds, let deadline = deadlineMilliseconds, deadline > 0 {
            samples["faas.timeout"] = sample(timeoutMilliseconds(deadline: deadline, start: start))
        }
        var faas: JSONObject = ["execution": .string(report.requestID)]
        if coldStartKnown || report.initDurationMilliseconds != nil {
            // A restored SnapStart copy's first invocation is its cold start: the restore is its init.
            let coldStartDuration = report.initDurationMilliseconds ?? report.restoreDurationMilliseconds ?? 0
            samples["faas.coldstart_duration"] = sample(coldStartDuration)
            faas["coldstart"] = .bool(coldStartDuration > 0)
        }
        if let functionARN, !functionARN.isEmpty { faas["id"] = .string(functionARN) }
        return .object(["metricset": .object([
            "timestamp": .number(Double(timestampMicroseconds)),
            "faas": .object(faas),
            "samples": .object(samples),
        ])])
    }

    /// The configured timeout, recovered from the deadline: the span rounded up to whole seconds.
    /// Up to `clockSlackMilliseconds` over a whole second counts as that second: the platform and
    /// the extension each round their clock to milliseconds, so a span can read a little long.
    package static func timeoutMilliseconds(deadline: Int64, start: Int64) -> Double {
        let span = Double(max(0, deadline - start - clockSlackMilliseconds))
        return (span / 1000).rounded(.up) * 1000
    }

    static let clockSlackMilliseconds: Int64 = 2

    private static func sample(_ value: Double) -> JSONValue {
        .object(["value": .number(value)])
    }
}
