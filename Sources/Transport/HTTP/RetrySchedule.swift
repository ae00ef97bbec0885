/// How one attempt ended, as far as retrying is concerned.
public struct AttemptOutcome: Sendable, Equatable {
    /// The answer's status; 0 when none came.
    public var status: Int
    /// Why the attempt failed; nil when an answer came in full.
    public var failure: TransportError.Code?
    /// Whether a connection was made: a timeout after it is a server that hung, not a connect timeout.
    public var connected: Bool
    /// The answer's `Retry-After`, in seconds; 0 when none.
    public var retryAfterSeconds: Int

    public init(status: Int, failure: TransportError.Code? = nil, connected: Bool = true, retryAfterSeconds: Int = 0) {
        self.status = status
        self.failure = failure
        self.connected = connected
        self.retryAfterSeconds = retryAfterSeconds
    }
}

/// What a request does after an attempt.
public enum RetryDecision: Sendable, Equatable {
    case retry(after: Duration)
    /// The attempt's outcome is the request's.
    case stop
}

/// A `RetryPolicy` applied to one attempt's outcome. Pure: the jitter's random value and the time
/// left come in as arguments, so the schedule is tested directly (`HTTPClient` draws the value
/// from its generator for each decision).
public struct RetrySchedule: Sendable {
    public let policy: RetryPolicy

    public init(policy: RetryPolicy) {
        self.policy = policy
    }

    /// - Parameters:
    ///   - attempt: the attempt that just ended, 1 for the first.
    ///   - random: uniform in 0..<1, drawn only for a retry; 0 shortens the wait by the whole
    ///     jitter, ~1 lengthens it by as much.
    ///   - timeLeft: until the request's deadline; nil when it has none.
    public func decision(
        after attempt: Int, outcome: AttemptOutcome, random: @autoclosure () -> Double, timeLeft: Duration?
    ) -> RetryDecision {
        guard attempt < policy.maxAttempts, retries(outcome) else { return .stop }
        var delay = Double(policy.initialDelay.milliseconds)
        for _ in 1..<min(max(attempt, 1), 64) { delay *= 2 }
        let cap = Double(policy.maxDelay.milliseconds)
        if cap > 0, delay > cap { delay = cap }
        delay *= 1 + policy.jitter * (2 * random() - 1)
        // The server's own wait only ever lengthens ours.
        if outcome.failure == nil, Double(outcome.retryAfterSeconds) * 1000 > delay { delay = Double(outcome.retryAfterSeconds) * 1000 }
        let milliseconds = Int64(min(max(delay, 0), 1e15))
        // An attempt that cannot start before the deadline is not made: the last answer stands.
        if let timeLeft, milliseconds >= timeLeft.milliseconds { return .stop }
        return .retry(after: .milliseconds(milliseconds))
    }

    /// Failures before any answer, which a new attempt cannot duplicate (refused, reset or empty
    /// reply, send or receive error, connect timeout), and 429/503 if the policy says so.
    public func retries(_ outcome: AttemptOutcome) -> Bool {
        guard let failure = outcome.failure else {
            return policy.retriesUnavailable && (outcome.status == 429 || outcome.status == 503)
        }
        guard outcome.status == 0 else { return false }
        switch failure {
        case .connect, .send, .receive: return true
        case .timeout: return !outcome.connected
        default: return false
        }
    }
}
