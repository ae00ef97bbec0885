import JSON
import Transport

/// Plays the APM agent inside the function against the extension's receiver.
struct AgentDriver: Sendable {
    let client: HTTPClient
    /// `http://127.0.0.1:<ELASTIC_APM_DATA_RECEIVER_SERVER_PORT>`
    let receiverURL: String
    let clock: SimulationClock

    static let transactionContentType = "application/vnd.elastic.apm.transaction+ndjson"

    func registerTransaction(_ payloads: AgentPayloads, compression: AgentCompression) async -> AgentRequest {
        await post(
            path: "/register/transaction", lines: [payloads.metadata, payloads.registeredTransaction],
            contentType: Self.transactionContentType, requestID: payloads.requestID, compression: compression)
    }

    func sendEvents(_ lines: [JSONValue], flushed: Bool, compression: AgentCompression) async -> AgentRequest {
        await post(
            path: flushed ? "/intake/v2/events?flushed=true" : "/intake/v2/events", lines: lines,
            contentType: "application/x-ndjson", requestID: nil, compression: compression)
    }

    private func post(
        path: String, lines: [JSONValue], contentType: String, requestID: String?, compression: AgentCompression
    ) async -> AgentRequest {
        var writer = JSONWriter()
        for line in lines {
            writer.write(line)
            writer.writeRaw("\n")
        }
        var record = AgentRequest(path: path, lines: lines.count, atMs: clock.elapsedMs(), status: nil, error: nil)
        var request = HTTPRequest(
            method: "POST", url: receiverURL + path, headers: ["Content-Type": contentType, "User-Agent": "apm-agent-nodejs/4.7.0 (lambda-sim)"],
            timeout: .seconds(5),
            // The receiver may not listen yet on the first request; agents retry connects too.
            retry: RetryPolicy(maxAttempts: 4, initialDelay: .milliseconds(50), maxDelay: .milliseconds(400)))
        if let requestID { request.headers.add(name: "x-elastic-aws-request-id", value: requestID) }
        if compression != .none { request.headers.add(name: "Content-Encoding", value: compression.rawValue) }
        do {
            request.body = try AgentCompressor.encode(writer.bytes, as: compression)
            record.status = try await client.execute(request).status
        } catch {
            record.error = "\(error)"
        }
        return record
    }
}
