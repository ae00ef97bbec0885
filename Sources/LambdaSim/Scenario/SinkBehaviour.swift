/// How the simulated APM Server answers intake requests. In a scenario: a string (`"ok"`,
/// `"slow"`, `"hang"`, `"500"`, `"503"`, `"429"`, `"401"`, `"reset"`) or an object
/// `{"behaviour": "slow", "delayMs": 1500}`.
///
/// TLS is not a behaviour: it fixes the sink's URL (`https://`) for the whole run, so it is the
/// scenario's `sinkTLS`.
public enum SinkBehaviour: Codable, Sendable, Equatable, CustomStringConvertible {
    /// 202 `{"accepted":N}` at once.
    case ok
    /// 202, after a delay.
    case slow(delayMs: Int)
    /// Reads the request and never answers (until the client gives up or the sink stops).
    case hang
    /// Answers this status (500, 503, 429, 401, …) with an `{"errors":[{"message":…}]}` body.
    case failure(status: Int)
    /// Closes the connection without answering.
    case reset

    public static let defaultSlowDelayMs = 1000

    public var description: String {
        switch self {
        case .ok: "ok"
        case .slow(let delay): "slow(\(delay) ms)"
        case .hang: "hang"
        case .failure(let status): "\(status)"
        case .reset: "reset"
        }
    }

    private enum CodingKeys: String, CodingKey {
        case behaviour, delayMs
    }

    public init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let name = try? single.decode(String.self) {
            self = try Self.named(name, delayMs: nil, decoder: decoder)
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let name = try container.decode(String.self, forKey: .behaviour)
        self = try Self.named(name, delayMs: try container.decodeIfPresent(Int.self, forKey: .delayMs), decoder: decoder)
    }

    private static func named(_ name: String, delayMs: Int?, decoder: any Decoder) throws -> SinkBehaviour {
        switch name {
        case "ok": return .ok
        case "slow": return .slow(delayMs: delayMs ?? defaultSlowDelayMs)
        case "hang": return .hang
        case "reset": return .reset
        case "tls":
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath, debugDescription: "TLS is not a per-invocation behaviour: set the scenario's sinkTLS"))
        default:
            if let status = Int(name), (400...599).contains(status) { return .failure(status: status) }
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "unknown sink behaviour \"\(name)\" (ok, slow, hang, reset, or a status 400-599)"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .slow(let delay):
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode("slow", forKey: .behaviour)
            try container.encode(delay, forKey: .delayMs)
        default:
            var single = encoder.singleValueContainer()
            try single.encode(description)
        }
    }
}
