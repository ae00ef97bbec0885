/// An answer a simulator server writes; `headers` are added to Content-Length (always set).
struct ServerResponse: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    static func json(_ status: Int, _ text: String, headers: [(String, String)] = []) -> ServerResponse {
        ServerResponse(status: status, headers: [("content-type", "application/json")] + headers, body: Array(text.utf8))
    }
}
