/// Why the environment shuts down, as the SHUTDOWN event says.
public enum ShutdownReason: String, Codable, Sendable {
    case spindown, timeout, failure
}
