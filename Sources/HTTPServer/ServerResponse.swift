import JSON
public import Transport

/// An answer; the server sets `Content-Length` (and `Connection: close` when it closes).
public struct ServerResponse: Sendable {
    public var status: Int
    public var headers: HTTPFields
    public var body: [UInt8]

    public init(status: Int, headers: HTTPFields = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON body given as text.
    public static func json(_ status: Int, _ text: String, headers: HTTPFields = [:]) -> ServerResponse {
        var fields: HTTPFields = ["Content-Type": "application/json"]
        for (name, value) in headers { fields.add(name: name, value: value) }
        return ServerResponse(status: status, headers: fields, body: Array(text.utf8))
    }

    /// `{"error": message}`, as APM Server and Lambda write their errors.
    public static func error(_ status: Int, _ message: String) -> ServerResponse {
        var writer = JSONWriter()
        writer.write(.object(["error": .string(message)]))
        return .json(status, writer.text + "\n")
    }
}

/// What a server does with a request.
public enum ServerAction: Sendable {
    case respond(ServerResponse)
    /// Closes the connection without answering, as a reset (SO_LINGER 0): what a crashed or
    /// overloaded server does.
    case close
    /// Never answers; the connection stays until the client or `stop()` closes it.
    case ignore
}
