/// One batch the platform POSTed to the extension's telemetry listener.
public struct TelemetryDelivery: Codable, Sendable, Equatable {
    /// Milliseconds since the simulation started.
    public var atMs: Double
    /// The events' types, in order.
    public var types: [String]
    /// The listener's answer; nil when it did not answer (see `error`).
    public var status: Int?
    public var error: String?
}
