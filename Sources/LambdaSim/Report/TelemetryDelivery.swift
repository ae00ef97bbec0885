/// One batch the platform POSTed to the extension's telemetry listener.
public struct TelemetryDelivery: Codable, Sendable, Equatable {
    /// Milliseconds since the simulation started.
    public var atMs: Double
    /// When the answer (or the error) came, on the same clock.
    public var answeredAtMs: Double?
    /// The events' types, in order.
    public var types: [String]
    /// The listener's answer; nil when it did not answer (see `error`).
    public var status: Int?
    public var error: String?
}
