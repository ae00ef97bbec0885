import NIOHTTP1

/// One request as a simulator server's handler sees it: read whole, header names lowercased.
struct ServerRequest: Sendable {
    let method: String
    /// The path without the query.
    let path: String
    /// The path with the query, as sent.
    let target: String
    let query: [String: String]
    /// Lowercased names; a repeated header keeps its first value.
    let headers: [String: String]
    let body: [UInt8]
    /// Which connection it came on: requests with the same number shared one TCP connection.
    var connection = 0

    init(method: String, target: String, headers: [String: String], body: [UInt8]) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        path = String(parts.first ?? "")
        var query: [String: String] = [:]
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") {
                let keyValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                query[String(keyValue[0])] = keyValue.count > 1 ? String(keyValue[1]) : ""
            }
        }
        self.query = query
    }

    init(head: HTTPRequestHead, body: [UInt8]) {
        var headers: [String: String] = [:]
        for (name, value) in head.headers where headers[name.lowercased()] == nil {
            headers[name.lowercased()] = value
        }
        self.init(method: head.method.rawValue, target: head.uri, headers: headers, body: body)
    }
}
