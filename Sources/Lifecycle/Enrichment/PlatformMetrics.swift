public import JSON

/// Turns a `platform.report` into the `metricset` event of docs/ARCHITECTURE.md, "Platform metrics". Pure.
public enum PlatformMetrics {
    /// - Parameters:
    ///   - functionARN: `faas.id`.
    ///   - invocationStartMilliseconds: wall-clock ms when the invocation began (for `faas.timeout`);
    ///     nil when the extension never saw its INVOKE.
    ///   - deadlineMilliseconds: the invocation's `deadlineMs`.
    public static func metricset(
        report: TelemetryEvent.Report, functionARN: String?, invocationStartMilliseconds: Int64?,
        deadlineMilliseconds: Int64?, timestampMicroseconds: Int64
    ) -> JSONValue {
        let megabyte = 1_048_576.0
        let coldStartDuration = report.initDurationMilliseconds ?? 0
        var samples: JSONObject = [
            "faas.duration": sample(report.durationMilliseconds),
            "faas.billed_duration": sample(report.billedDurationMilliseconds),
            "faas.coldstart_duration": sample(coldStartDuration),
            "system.memory.total": sample(report.memorySizeMB * megabyte),
            "system.memory.actual.free": sample(max(0, report.memorySizeMB - report.maxMemoryUsedMB) * megabyte),
        ]
        if let start = invocationStartMilliseconds, let deadline = deadlineMilliseconds {
            samples["faas.timeout"] = sample(timeoutMilliseconds(deadline: deadline, start: start))
        }
        var faas: JSONObject = [
            "execution": .string(report.requestID),
            "coldstart": .bool(coldStartDuration > 0),
        ]
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
    public static func timeoutMilliseconds(deadline: Int64, start: Int64) -> Double {
        let span = Double(max(0, deadline - start - clockSlackMilliseconds))
        return (span / 1000).rounded(.up) * 1000
    }

    static let clockSlackMilliseconds: Int64 = 2

    private static func sample(_ value: Double) -> JSONValue {
        .object(["value": .number(value)])
    }
}
