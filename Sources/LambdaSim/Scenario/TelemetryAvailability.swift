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
