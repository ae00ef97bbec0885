/// Which subscription API the simulated platform offers, so each path of an extension's
/// subscription logic can be exercised.
public enum TelemetryAvailability: String, Codable, Sendable {
    /// The Telemetry API subscribes (200); the Logs API too, as on real Lambda.
    case telemetry
    /// The Telemetry API refuses (as `subscriptionRefusal` says); the Logs API subscribes.
    case logsOnly = "logs-only"
    /// Both answer 202 "not available", as local emulators do; nothing is ever sent.
    case notAvailable = "not-available"
    /// Both refuse.
    case none
}

/// How a refused subscription looks to the extension.
public enum SubscriptionRefusal: String, Codable, Sendable {
    /// 404, as a platform without that API answers.
    case notFound = "not-found"
    /// 400, as Lambda answers an unknown schema version.
    case badRequest = "bad-request"
    /// The connection closes without an answer.
    case reset
}

/// Why the environment shuts down, as the SHUTDOWN event says.
public enum ShutdownReason: String, Codable, Sendable {
    case spindown, timeout, failure
}
