import JSON
import Transport

/// Plays the APM agent inside the function against the extension's receiver.
struct AgentDriver: Sendable {
    let client: HTTPClient
    /// `http://127.0.0.1:<ELASTIC_APM_DATA_RECEIVER_SERVER_PORT>`
    let receiverURL: String
    let clock: SimulationClock
    let stalled: StalledConnections

    /// How many connections the `idle-connections` probe opens.
    static let idleConnectionCount = 1000

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

    /// Sends one probe (see `AgentProbe`) and records the answer.
    func probe(_ probe: AgentProbe, _ payloads: AgentPayloads) async -> AgentRequest {
        let metadata = Self.ndjson([payloads.metadata])
        switch probe {
        case .malformedJSON:
            return await send(path: "/intake/v2/events", body: metadata + Array("{\"span\": {not json}\n".utf8), lines: 2)
        case .badGzip:
            return await send(path: "/intake/v2/events", body: Array("this is not gzip".utf8), lines: 0, headers: ["Content-Encoding": "gzip"])
        case .decompressionBomb:
            let bomb = (try? AgentCompressor.encode([UInt8](repeating: 0x20, count: 16 << 20), as: .gzip)) ?? []
            return await send(path: "/intake/v2/events", body: bomb, lines: 0, headers: ["Content-Encoding": "gzip"])
        case .oversizedBody:
            var body = metadata
            let span = Self.ndjson([payloads.extraSpan(0)])
            while body.count < 9 << 20 { body += span }
            return await send(path: "/intake/v2/events", body: body, lines: body.count / span.count)
        case .wrongContentType:
            return await send(
                path: "/register/transaction", body: Self.ndjson([payloads.metadata, payloads.registeredTransaction]), lines: 2,
                headers: ["Content-Type": "text/plain", "x-elastic-aws-request-id": payloads.requestID])
        case .missingRequestID:
            return await send(
                path: "/register/transaction", body: Self.ndjson([payloads.metadata, payloads.registeredTransaction]), lines: 2,
                headers: ["Content-Type": Self.transactionContentType])
        case .transactionWithoutID:
            return await send(
                path: "/register/transaction", body: metadata + Array("{\"transaction\":{\"type\":\"request\"}}\n".utf8), lines: 2,
                headers: ["Content-Type": Self.transactionContentType, "x-elastic-aws-request-id": payloads.requestID])
        case .serverInfo:
            return await send(method: "GET", path: "/", body: [], lines: 0, headers: ["Authorization": "Bearer agent-token"])
        case .stalledConnection:
            let port = Int(receiverURL.split(separator: ":").last ?? "") ?? 8200
            let partial = Array("POST /intake/v2/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{\"metadata\":".utf8)
            let opened = stalled.open(port: port, sending: partial)
            return AgentRequest(path: "/intake/v2/events", lines: 0, atMs: clock.elapsedMs(), status: nil, error: opened ? "stalled" : "could not connect")
        case .idleConnections:
            let port = Int(receiverURL.split(separator: ":").last ?? "") ?? 8200
            let atMs = clock.elapsedMs()
            let opened = (0..<Self.idleConnectionCount).filter { _ in stalled.open(port: port, sending: []) }.count
            return AgentRequest(path: "/", lines: 0, atMs: atMs, status: nil, error: "\(opened) of \(Self.idleConnectionCount) idle connections open")
        }
    }

    private static func ndjson(_ lines: [JSONValue]) -> [UInt8] {
        var writer = JSONWriter()
        for line in lines {
            writer.write(line)
            writer.writeRaw("\n")
        }
        return writer.bytes
    }

    /// A raw request, recorded like the agent's own.
    private func send(method: String = "POST", path: String, body: [UInt8], lines: Int, headers: HTTPFields = [:]) async -> AgentRequest {
        var record = AgentRequest(path: path, lines: lines, atMs: clock.elapsedMs(), status: nil, error: nil)
        var request = HTTPRequest(method: method, url: receiverURL + path, headers: headers, body: body, timeout: .seconds(5))
        if headers["Content-Type"] == nil, method == "POST" { request.headers.add(name: "Content-Type", value: "application/x-ndjson") }
        do {
            record.status = try await client.execute(request).status
        } catch {
            record.error = "\(error)"
        }
        return record
    }

    // Swift 6.3.1 crashes (signal 11, LLVM CoroSplit: emitSetAndGetSwiftErrorValueAround) when it
    // optimises this function in a release build; the simulator's agent does not need it optimised.
    @_optimize(none)
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
