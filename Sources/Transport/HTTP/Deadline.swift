#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

/// A point in time on the monotonic clock, with millisecond precision: what the transport's
/// deadlines and the run loop's timers are measured on.
public struct Deadline: Sendable, Hashable, Comparable {
    /// Milliseconds on CLOCK_MONOTONIC.
    public let monotonicMilliseconds: UInt64

    public init(monotonicMilliseconds: UInt64) {
        self.monotonicMilliseconds = monotonicMilliseconds
    }

    public static var now: Deadline { Deadline(monotonicMilliseconds: clockMilliseconds()) }

    public static func after(milliseconds: Int64) -> Deadline {
        let now = clockMilliseconds()
        return Deadline(monotonicMilliseconds: milliseconds <= 0 ? now : now + UInt64(milliseconds))
    }

    public static func after(_ duration: Duration) -> Deadline {
        after(milliseconds: duration.milliseconds)
    }

    /// Milliseconds from now until the deadline; negative once it has passed.
    public var remainingMilliseconds: Int64 {
        Int64(bitPattern: monotonicMilliseconds &- Self.clockMilliseconds())
    }

    /// CLOCK_MONOTONIC: it stops while the machine (or a frozen Lambda sandbox) is suspended, as
    /// the deadlines Lambda hands out do.
    private static func clockMilliseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1000 + UInt64(now.tv_nsec) / 1_000_000
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
