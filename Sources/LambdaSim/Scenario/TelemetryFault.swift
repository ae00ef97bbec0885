/// Ways the platform's telemetry delivery misbehaves, as the real one can (a retry after a slow
/// answer duplicates a batch). In a scenario: `"telemetryFaults": ["malformed", "duplicate"]`.
public enum TelemetryFault: String, Codable, Sendable, CaseIterable {
    /// A truncated, unparsable batch before every real one.
    case malformed
    /// Every batch is delivered twice.
    case duplicate
}
