import Synchronization

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#endif

/// A point in time on the process's running clock, with millisecond precision: what deadlines,
/// grace periods and batch ages are measured on.
///
/// The running clock is CLOCK_MONOTONIC less the time the process is known to have been frozen
/// (`excludeFrozenTime`): a SnapStart snapshot may sit for hours before a copy is restored, and
/// that time must neither expire a deadline nor age a batch set before it.
public struct Deadline: Sendable, Hashable, Comparable {
    /// Milliseconds on the running clock.
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

    /// Takes `milliseconds` the process spent frozen off the running clock from now on: every
    /// deadline set before keeps the time it had left, every age stays what it was.
    public static func excludeFrozenTime(milliseconds: UInt64) {
        frozenMilliseconds.add(milliseconds, ordering: .relaxed)
    }

    /// CLOCK_MONOTONIC less the frozen time. CLOCK_MONOTONIC stops while the machine is suspended,
    /// but not while a process is stopped (a SnapStart snapshot played with SIGSTOP).
    private static func clockMilliseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1000 + UInt64(now.tv_nsec) / 1_000_000 - frozenMilliseconds.load(ordering: .relaxed)
    }

    private static let frozenMilliseconds = Atomic<UInt64>(0)

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
