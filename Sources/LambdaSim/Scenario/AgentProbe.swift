/// A request an agent (or something posing as one) sends besides its normal data, to check that
/// the extension refuses bad input with a 4xx and loses nothing else. In a scenario:
/// `"probes": ["malformed-json", "bad-gzip", …]`.
public enum AgentProbe: String, Codable, Sendable, CaseIterable {
    /// Intake with a metadata line and then a line that is not JSON: 400.
    case malformedJSON = "malformed-json"
    /// Intake marked gzip whose body is not: 400.
    case badGzip = "bad-gzip"
    /// 16 KiB of gzip that inflates to 16 MiB: 413.
    case decompressionBomb = "decompression-bomb"
    /// 9 MiB of plain ndjson: 413.
    case oversizedBody = "oversized-body"
    /// `/register/transaction` as `text/plain`: 415.
    case wrongContentType = "wrong-content-type"
    /// `/register/transaction` without `x-elastic-aws-request-id`: 400.
    case missingRequestID = "missing-request-id"
    /// `/register/transaction` whose transaction has no id: 422.
    case transactionWithoutID = "transaction-without-id"
    /// `GET /` with the agent's own `Authorization: Bearer agent-token`: proxied to APM Server.
    case serverInfo = "server-info"
    /// A connection that sends half a request and stalls: it must not hold up anyone else.
    case stalledConnection = "stalled-connection"
    /// 1 000 connections opened at once that send nothing (until the simulation ends): the agent's
    /// own requests must still be served.
    case idleConnections = "idle-connections"

    /// The status the extension should answer; nil: none (the request never completes).
    public var expectedStatus: Int? {
        switch self {
        case .stalledConnection, .idleConnections: nil
        case .malformedJSON, .badGzip, .missingRequestID: 400
        case .decompressionBomb, .oversizedBody: 413
        case .wrongContentType: 415
        case .transactionWithoutID: 422
        case .serverInfo: 200
        }
    }
}
