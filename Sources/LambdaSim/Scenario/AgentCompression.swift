/// The agent's `Content-Encoding`.
public enum AgentCompression: String, Codable, Sendable {
    case none, gzip, deflate
}
