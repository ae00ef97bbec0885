/// One request that reached the simulated APM Server.
public struct SinkRequest: Codable, Sendable, Equatable {
    public var method: String
    /// The path with its query.
    public var path: String
    /// Lowercased names.
    public var headers: [String: String]
    /// Each ndjson line of the (inflated) body, as received.
    public var events: [String]
    /// The status answered; nil when the sink hung or reset the connection.
    public var status: Int?
    /// The behaviour the sink had (`ok`, `503`, …).
    public var behaviour: String
    /// The invocation (0-based) that was running; nil during init and shutdown.
    public var invocation: Int?
    /// Milliseconds since the simulation started.
    public var atMs: Double
    /// Why the body could not be read, if it could not (bad compression, invalid JSON line).
    public var bodyError: String?
    /// The sink's number for the TCP connection it came on (the TLS terminator's, over TLS).
    public var connection: Int?
    /// An OTLP export's body (`/v1/traces`, `/v1/metrics`, `/v1/logs`), inflated: protobuf, in
    /// base64. `scripts/otlp_decode.py` decodes it.
    public var otlpBody: String? = nil

    /// Whether this is an OTLP/HTTP export.
    public var isOTLP: Bool { ["/v1/traces", "/v1/metrics", "/v1/logs"].contains(path) }

    /// The single key of each event line (`metadata`, `transaction`, …); `?` for a line that is
    /// not a one-key object.
    public var eventTypes: [String] { events.map(SinkRequest.eventType(of:)) }

    static func eventType(of line: String) -> String {
        guard let value = try? JSONParserShim.parse(line), case .object(let object) = value, object.members.count == 1 else {
            return "?"
        }
        return object.members[0].key
    }
}
