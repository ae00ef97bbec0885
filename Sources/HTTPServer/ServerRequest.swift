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
    public var path: String { String(uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "") }

    /// The value of a query parameter (`""` when it has none), nil when absent.
    public func queryValue(_ name: String) -> Substring? {
        guard let query = uri.split(separator: "?", maxSplits: 1).dropFirst().first else { return nil }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.first == Substring(name) { return parts.count > 1 ? parts[1] : "" }
        }
        return nil
    }
}
