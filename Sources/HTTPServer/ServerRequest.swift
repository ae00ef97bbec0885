public import Transport

/// A request as a server's handler sees it: read whole, its body within the server's cap.
public struct ServerRequest: Sendable {
    public var method: String
    /// Path and query as sent.
    public var uri: String
    public var headers: HTTPFields
    public var body: [UInt8]
    /// The connection's number in accept order: requests with the same number shared a connection.
    public var connection: Int

    public init(method: String, uri: String, headers: HTTPFields = [:], body: [UInt8] = [], connection: Int = 0) {
        self.method = method
        self.uri = uri
        self.headers = headers
        self.body = body
        self.connection = connection
    }

    /// The path without the query.
    public var path: String {
        guard let mark = uri.utf8.firstIndex(of: UInt8(ascii: "?")) else { return uri }
        return String(uri[..<mark])
    }

    /// The value of a query parameter (`""` when it has none), nil when absent. Read byte by byte:
    /// splitting the URI by characters cost more than the rest of a flush's handling.
    public func queryValue(_ name: String) -> Substring? {
        guard let mark = uri.utf8.firstIndex(of: UInt8(ascii: "?")) else { return nil }
        let query = uri[uri.utf8.index(after: mark)...]
        for pair in query.utf8.split(separator: UInt8(ascii: "&")) {
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            guard Substring(pair[..<(equals ?? pair.endIndex)]) == name else { continue }
            return equals.map { Substring(pair[pair.index(after: $0)...]) } ?? ""
        }
        return nil
    }
}
