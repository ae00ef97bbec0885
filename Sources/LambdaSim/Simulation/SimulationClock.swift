import Foundation

/// The simulation's time line: report times are milliseconds since the simulation started, on
/// the monotonic clock, so differences (latencies) are never skewed by wall-clock changes.
struct SimulationClock: Sendable {
    private let start = ContinuousClock.now

    /// Milliseconds since the start.
    func elapsedMs() -> Double {
        let duration = ContinuousClock.now - start
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }

    /// Wall-clock milliseconds since 1970, as Lambda's `deadlineMs` is; truncated like any
    /// millisecond clock reading (rounding would put the deadline up to 0.5 ms late).
    static func epochMs() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// Wall-clock microseconds since 1970, as APM timestamps are.
    static func epochMicroseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1_000_000).rounded())
    }

    /// `2026-11-30T19:40:00.123Z`, the Telemetry API's `time`.
    static func telemetryTimestamp(_ date: Date = Date()) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
