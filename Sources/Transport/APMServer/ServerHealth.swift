/// What APM Server's answer to one send means for the next ones.
public enum SendOutcome: Sendable, Equatable {
    /// 202: accepted.
    case accepted
    /// 429: rate-limited; try again later, without backoff.
    case rateLimited
    /// 401/403, 5xx or a transport error: the server (or the way to it) is failing.
    case serverFailure(String)
    /// Any other 4xx: the data was refused and will be refused again.
    case clientFailure(String)
}

/// The client's view of APM Server's health: healthy, or failing until a grace period ends.
/// Pure: time and randomness come in as arguments, so the policy is tested directly.
public struct ServerHealth: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        case healthy
        /// No sends before `until` (monotonic milliseconds).
        case failing(until: UInt64)
    }

    public private(set) var state: State = .healthy
    /// Consecutive failures (the Go reference's reconnection count).
    public private(set) var consecutiveFailures = 0

    public init() {}

    /// Whether a send may start at `now`.
    public func maySend(atMilliseconds now: UInt64) -> Bool {
        switch state {
        case .healthy: true
        case .failing(let until): now >= until
        }
    }

    /// Updates the state after an outcome. `random` is uniform in 0..<1, drawn only for a failure
    /// (a draw is a system call: `Jitter`).
    public mutating func record(_ outcome: SendOutcome, atMilliseconds now: UInt64, random: @autoclosure () -> Double) {
        switch outcome {
        case .accepted, .clientFailure:
            state = .healthy
            consecutiveFailures = 0
        case .rateLimited:
            break
        case .serverFailure:
            let grace = Self.gracePeriodMilliseconds(consecutiveFailures: consecutiveFailures, random: random())
            consecutiveFailures += 1
            state = .failing(until: now + grace)
        }
    }

    /// The wait after a failure when `consecutiveFailures` came before it: 0-5 s at random the
    /// first time, then min(n, 6)² s ±10 %.
    public static func gracePeriodMilliseconds(consecutiveFailures n: Int, random: Double) -> UInt64 {
        if n == 0 { return UInt64(random * 5000) }
        let base = Double(min(n, 6) * min(n, 6)) * 1000
        return UInt64(base * (0.9 + 0.2 * random))
    }
}
