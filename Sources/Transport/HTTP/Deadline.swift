internal import CShims

/// A point in time on the monotonic clock, with millisecond precision: what the transport's
/// deadlines and the run loop's timers are measured on.
public struct Deadline: Sendable, Hashable, Comparable {
    /// Milliseconds on CLOCK_MONOTONIC.
    public let monotonicMilliseconds: UInt64

    public init(monotonicMilliseconds: UInt64) {
        self.monotonicMilliseconds = monotonicMilliseconds
    }

    public static var now: Deadline { Deadline(monotonicMilliseconds: eapm_monotonic_ms()) }

    public static func after(milliseconds: Int64) -> Deadline {
        let now = eapm_monotonic_ms()
        return Deadline(monotonicMilliseconds: milliseconds <= 0 ? now : now + UInt64(milliseconds))
    }

    public static func after(_ duration: Duration) -> Deadline {
        after(milliseconds: duration.milliseconds)
    }

    /// Milliseconds from now until the deadline; negative once it has passed.
    public var remainingMilliseconds: Int64 {
        Int64(bitPattern: monotonicMilliseconds &- eapm_monotonic_ms())
    }

    public var hasPassed: Bool { remainingMilliseconds <= 0 }

    public static func < (lhs: Deadline, rhs: Deadline) -> Bool {
        lhs.monotonicMilliseconds < rhs.monotonicMilliseconds
    }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
