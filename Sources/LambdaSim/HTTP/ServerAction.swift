/// What a simulator server does with a request.
enum ServerAction: Sendable {
    case respond(ServerResponse)
    /// Close the connection without answering (a reset).
    case close
    /// Never answer; keep the connection until the client or `stop()` closes it.
    case ignore
}
