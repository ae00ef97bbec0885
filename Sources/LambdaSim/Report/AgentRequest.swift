/// One request the simulated agent made to the extension's receiver.
public struct AgentRequest: Codable, Sendable, Equatable {
    /// Path and query, e.g. `/intake/v2/events?flushed=true`.
    public var path: String
    /// How many event lines it carried (metadata included).
    public var lines: Int
    /// Milliseconds since the simulation started, when it was sent.
    public var atMs: Double
    /// The receiver's answer; nil when none came (see `error`).
    public var status: Int?
    public var error: String?
}
