package import HTTPServer
package import Logging
import NIOConcurrencyHelpers
package import NIOCore
package import Transport

/// The agent's side of the extension (docs/ARCHITECTURE.md, "Agent side"): intake on
/// `/intake/v2/events`, transaction registration for proxy transactions, OTLP/HTTP exports from
/// OpenTelemetry SDKs on `/v1/traces`, `/v1/metrics` and `/v1/logs`, and every other path proxied
/// to APM Server.
package final class AgentReceiver: Sendable {
    /// Bodies over this many bytes, as received or once inflated, get 413.
    package static let maxBodyBytes = 8 << 20

    /// What the receiver tells the rest of the extension.
    package struct Events: Sendable {
        /// `flushed=true`: the agent finished the current invocation.
        package var agentFlushed: @Sendable () async -> Void
        /// A transaction registered for the request id, with the metadata line that came with it.
        package var transactionRegistered: @Sendable (_ requestID: String, _ transaction: RegisteredTransaction, _ metadata: [UInt8]?) async -> Void
        /// Ids of transactions the agent reported itself; booked before the agent gets its answer,
        /// so a runtimeDone that follows can never make a proxy for them.
        package var transactionsReported: @Sendable ([String]) async -> Void
        /// An OTLP export was taken: an OpenTelemetry SDK sends data here.
        package var otlpReceived: @Sendable () -> Void

        package init(
            agentFlushed: @escaping @Sendable () async -> Void,
            transactionRegistered: @escaping @Sendable (String, RegisteredTransaction, [UInt8]?) async -> Void,
            transactionsReported: @escaping @Sendable ([String]) async -> Void,
            otlpReceived: @escaping @Sendable () -> Void = {}
        ) {
            self.agentFlushed = agentFlushed
            self.transactionRegistered = transactionRegistered
            self.transactionsReported = transactionsReported
            self.otlpReceived = otlpReceived
        }
    }

    private let forwarder: Forwarder
    private let apmServer: APMServerClient
    private let forwarderTimeout: Duration
    private let events: Events
    private let logger: Logger
    /// One inflater per receiver; requests are decoded one at a time under its lock (microseconds).
    private let inflater: LockedInflater
    /// The metadata line last taken: the agent's next requests carry the same bytes, which then
    /// need no second check (most of a small invocation's intake is metadata).
    private let checkedMetadata = NIOLockedValueBox<[UInt8]>([])

    package init(
        forwarder: Forwarder, apmServer: APMServerClient, forwarderTimeout: Duration, events: Events, logger: Logger
    ) throws(TransportError) {
        self.forwarder = forwarder
        self.apmServer = apmServer
        self.forwarderTimeout = forwarderTimeout
        self.events = events
        self.logger = logger
        inflater = LockedInflater(try Inflater())
    }

    /// Binds the receiver and starts serving until the server's `stop()`.
    /// The server holds the receiver (its handler), not the other way round: no cycle outlives it.
    package func serve(host: String, port: Int, requestTimeout: Duration, group: any EventLoopGroup) async throws -> HTTPServer {
        try await HTTPServer.start(
            host: host, port: port, maxBodyBytes: Self.maxBodyBytes, requestTimeout: requestTimeout, group: group,
            logger: logger
        ) { [self] request in .respond(await self.handle(request)) }
    }

    /// Answers one agent request.
    package func handle(_ request: ServerRequest) async -> ServerResponse {
        switch (request.method, request.path) {
        case ("POST", "/intake/v2/events"):
            return await receiveIntake(request)
        case ("POST", "/register/transaction"):
            return await registerTransaction(request)
        default:
            if let signal = OTLPSignal(path: request.path) { return await receiveOTLP(signal, request) }
            return await proxy(request)
        }
    }

    // MARK: - Intake

    private func decodedBody(_ request: ServerRequest) throws(ContentDecoding.Failure) -> [UInt8] {
        let encoding = request.headers["content-encoding"]
        if encoding == nil { return request.body }
        inflater.lock.lock()
        defer { inflater.lock.unlock() }
        return try ContentDecoding.decode(request.body, contentEncoding: encoding, maxBytes: Self.maxBodyBytes, inflater: &inflater.inflater)
    }

    /// Takes the data; a `flushed=true` counts once its data is in, whatever the answer.
    private func receiveIntake(_ request: ServerRequest) async -> ServerResponse {
        let response = await takeIntake(request)
        if request.queryValue("flushed") == "true" { await events.agentFlushed() }
        return response
    }

    private func takeIntake(_ request: ServerRequest) async -> ServerResponse {
        let body: [UInt8]
        do {
            body = try decodedBody(request)
        } catch {
            logger.warning("agent data refused", metadata: ["reason": "\(error.message)"])
            return .error(error.status, error.message)
        }
        // A flush may come with no data at all.
        if body.allSatisfy({ $0 == 0x0A || $0 == 0x0D || $0 == 0x20 }) { return ServerResponse(status: 202) }
        let payload: IntakePayload
        do {
            payload = try IntakePayload(ndjson: body, checkedMetadata: checkedMetadata.withLockedValue { $0 })
        } catch {
            logger.warning("malformed agent data refused", metadata: ["reason": "\(error)"])
            return .error(400, "invalid intake payload: \(error)")
        }
        checkedMetadata.withLockedValue { $0 = payload.metadata }
        if !payload.transactionIDs.isEmpty { await events.transactionsReported(payload.transactionIDs) }
        await forwarder.addAgentPayload(
            metadata: payload.metadata, events: payload.events, eventCount: payload.eventCount,
            userAgent: request.headers["user-agent"])
        return ServerResponse(status: 202)
    }

    // MARK: - OTLP/HTTP

    /// Takes an OTLP/HTTP export (binary protobuf, plain or gzip'd) and answers at once with the
    /// specification's success; the export is forwarded as it is, never decoded. OTLP/JSON is
    /// refused here, because APM Server would refuse it later, after the SDK was told it succeeded.
    private func receiveOTLP(_ signal: OTLPSignal, _ request: ServerRequest) async -> ServerResponse {
        guard request.method == "POST" else {
            var response = OTLPResponse.failure(405, "\(signal.path) takes POST only")
            response.headers.add(name: "Allow", value: "POST")
            return response
        }
        let contentType = (request.headers["content-type"] ?? "").split(separator: ";").first.map { String($0).trimmingSpaces.lowercased() }
        guard contentType == OTLPResponse.protobufContentType else {
            let message =
                "OTLP exports must be binary protobuf (Content-Type: application/x-protobuf): set the SDK's OTLP protocol to http/protobuf (OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf); got Content-Type \"\(contentType ?? "")\""
            logger.warning("OTLP export refused", metadata: ["otlp.signal": "\(signal.rawValue)", "reason": "\(message)"])
            return contentType == "application/json" ? OTLPResponse.jsonFailure(415, message) : OTLPResponse.failure(415, message)
        }
        let body: [UInt8]
        do {
            body = try decodedBody(request)
        } catch {
            logger.warning("OTLP export refused", metadata: ["otlp.signal": "\(signal.rawValue)", "reason": "\(error.message)"])
            return OTLPResponse.failure(error.status, error.message)
        }
        events.otlpReceived()
        // An empty body is an export of nothing: answered, nothing to forward.
        if !body.isEmpty {
            await forwarder.addOTLPExport(signal, protobuf: body, userAgent: request.headers["user-agent"])
        }
        return OTLPResponse.success
    }

    // MARK: - Transaction registration

    private func registerTransaction(_ request: ServerRequest) async -> ServerResponse {
        guard let contentType = request.headers["content-type"],
            contentType.lowercased().hasPrefix("application/vnd.elastic.apm.transaction+ndjson")
        else {
            return .error(415, "Content-Type must be application/vnd.elastic.apm.transaction+ndjson")
        }
        guard let requestID = request.headers["x-elastic-aws-request-id"], !requestID.isEmpty else {
            return .error(400, "missing x-elastic-aws-request-id header")
        }
        let body: [UInt8]
        do {
            body = try decodedBody(request)
        } catch {
            return .error(error.status, error.message)
        }
        let registration: TransactionRegistration
        do {
            registration = try TransactionRegistration(ndjson: body, checkedMetadata: checkedMetadata.withLockedValue { $0 })
        } catch {
            return .error(error.status, error.reason)
        }
        if let metadata = registration.metadata { checkedMetadata.withLockedValue { $0 = metadata } }
        await events.transactionRegistered(requestID, registration.transaction, registration.metadata)
        return ServerResponse(status: 200)
    }

    // MARK: - Proxy

    private func proxy(_ request: ServerRequest) async -> ServerResponse {
        do {
            let response = try await apmServer.proxy(
                method: request.method, pathAndQuery: request.uri, headers: request.headers, body: request.body,
                timeout: forwarderTimeout)
            var headers = HTTPFields()
            for (name, value) in response.headers {
                switch name.lowercased() {
                case "connection", "keep-alive", "transfer-encoding", "content-length": continue
                default: headers.add(name: name, value: value)
                }
            }
            return ServerResponse(status: response.status, headers: headers, body: response.body)
        } catch {
            logger.warning("proxying to APM Server failed", metadata: ["path": "\(request.path)", "error": "\(error)"])
            return .error(502, "APM Server could not be reached: \(error.message)")
        }
    }
}

/// The receiver's inflater and the lock it is used under. A pthread lock (`NIOLock`), not
/// `Synchronization.Mutex`: ThreadSanitizer cannot see Mutex's contended path (a futex in an
/// uninstrumented library) and would report the inflater's use as a race.
private final class LockedInflater: @unchecked Sendable {
    let lock = NIOLock()
    var inflater: Inflater

    init(_ inflater: consuming Inflater) {
        self.inflater = inflater
    }
}
