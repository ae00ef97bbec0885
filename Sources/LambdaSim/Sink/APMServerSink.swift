import HTTPServer
import Foundation
import JSON
import NIOConcurrencyHelpers
import Transport

/// A stand-in APM Server: records every request (headers, and each ndjson line of the inflated
/// body, or an OTLP export's inflated protobuf) and answers as its current behaviour says, which
/// a scenario sets per invocation and a test sets directly.
public final class APMServerSink: Sendable {
    private struct State {
        var behaviour: SinkBehaviour = .ok
        var invocation: Int?
        var requests: [SinkRequest] = []
        var inProgress = 0
        var mostInProgress = 0
        /// Connections up to this number are silently dead (a SnapStart restore).
        var deadUpTo = 0
        var requestsOnDeadConnections = 0
    }

    private let state = NIOLockedValueBox(State())
    private let clock: SimulationClock
    private let server: HTTPServer
    /// In TLS mode, what clients connect to; it relays to `server`.
    private let terminator: TLSTerminator?
    /// Inflated bodies larger than this are refused, as a real server caps them.
    static let maxInflatedBytes = 64 << 20

    /// The port clients connect to.
    public var port: Int { terminator?.port ?? server.port }
    /// What to set `ELASTIC_APM_LAMBDA_APM_SERVER` to.
    public var url: String { url(host: "127.0.0.1") }

    /// The sink's URL naming it by `host`, a name that resolves to 127.0.0.1 where it is used.
    public func url(host: String) -> String { "\(terminator == nil ? "http" : "https")://\(host):\(port)" }

    private init(server: HTTPServer, terminator: TLSTerminator?, clock: SimulationClock) {
        self.server = server
        self.terminator = terminator
        self.clock = clock
    }

    /// Starts a sink on a free loopback port, speaking HTTPS with `tls`, else plain HTTP.
    public static func start(tls: SinkTLS? = nil) async throws -> APMServerSink {
        try await start(tls: tls, clock: SimulationClock())
    }

    static func start(tls: SinkTLS?, clock: SimulationClock) async throws -> APMServerSink {
        let box = NIOLockedValueBox<APMServerSink?>(nil)
        let server = try await HTTPServer.start { request in
            guard let sink = box.withLockedValue({ $0 }) else { return .close }
            return await sink.handle(request)
        }
        let terminator: TLSTerminator?
        do {
            terminator = try tls.map { try TLSTerminator(tls: $0, backendPort: server.port) }
        } catch {
            await server.stop()
            throw error
        }
        let sink = APMServerSink(server: server, terminator: terminator, clock: clock)
        box.withLockedValue { $0 = sink }
        return sink
    }

    public func stop() async {
        await terminator?.stop()
        await server.stop()
    }

    /// How the sink answers from now on.
    public func setBehaviour(_ behaviour: SinkBehaviour) {
        state.withLockedValue { $0.behaviour = behaviour }
    }

    public var behaviour: SinkBehaviour { state.withLockedValue { $0.behaviour } }

    /// Which invocation later requests are counted against (nil: init or shutdown).
    func setInvocation(_ invocation: Int?) {
        state.withLockedValue { $0.invocation = invocation }
    }

    /// Every request so far, in arrival order.
    public var requests: [SinkRequest] { state.withLockedValue { $0.requests } }

    /// Every connection open now goes silently dead, as a restored SnapStart copy finds the
    /// connections its snapshot had: a request on one is read and never answered. New ones work.
    /// A TLS sink's connections are its terminator's and are not affected.
    func killOpenConnections() {
        let accepted = server.connectionsAccepted
        state.withLockedValue { $0.deadUpTo = accepted }
    }

    /// Requests that came on a connection killed by `killOpenConnections()`.
    public var requestsOnDeadConnections: Int { state.withLockedValue { $0.requestsOnDeadConnections } }

    /// The most requests the sink was handling at once (from arrival to answer).
    public var mostRequestsAtOnce: Int { state.withLockedValue { $0.mostInProgress } }

    // MARK: Answering

    private func handle(_ request: ServerRequest) async -> ServerAction {
        let dead = state.withLockedValue { state in
            guard request.connection <= state.deadUpTo else { return false }
            state.requestsOnDeadConnections += 1
            return true
        }
        if dead { return .ignore }
        let (behaviour, invocation) = state.withLockedValue { state in
            state.inProgress += 1
            state.mostInProgress = max(state.mostInProgress, state.inProgress)
            return (state.behaviour, state.invocation)
        }
        var record = SinkRequest(
            method: request.method, path: request.uri, headers: request.headers.lowercasedDictionary, events: [], status: nil,
            behaviour: behaviour.description, invocation: invocation, atMs: clock.elapsedMs(), bodyError: nil,
            connection: request.connection)
        let answer: ServerResponse
        switch (request.method, request.path) {
        case ("POST", "/intake/v2/events"):
            answer = intake(request, into: &record)
        case ("POST", "/v1/traces"), ("POST", "/v1/metrics"), ("POST", "/v1/logs"):
            answer = otlp(request, into: &record)
        case ("GET", "/"):
            answer = .json(200, #"{"build_date":"2024-08-01T00:00:00Z","build_sha":"0000000000000000000000000000000000000000","publish_ready":true,"version":"8.15.0"}"#)
        default:
            answer = .json(404, #"{"errors":[{"message":"404 page not found"}]}"#)
        }

        let action: ServerAction
        switch behaviour {
        case .ok:
            action = .respond(answer)
        case .slow(let delayMs):
            try? await Task.sleep(for: .milliseconds(delayMs))
            action = .respond(answer)
        case .hang:
            action = .ignore
        case .reset:
            action = .close
        case .failure(let status):
            action = .respond(.json(status, Self.errorBody(status: status)))
        }
        if case .respond(let response) = action { record.status = response.status }
        let finished = record
        state.withLockedValue { state in
            state.requests.append(finished)
            state.inProgress -= 1
        }
        return action
    }

    private func intake(_ request: ServerRequest, into record: inout SinkRequest) -> ServerResponse {
        let body: [UInt8]
        do {
            body = try Self.inflate(request.body, encoding: request.headers["content-encoding"])
        } catch {
            record.bodyError = "cannot inflate: \(error)"
            return .json(400, #"{"errors":[{"message":"cannot decompress the body"}]}"#)
        }
        let lines = body.split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) }
            .filter { !$0.allSatisfy(\.isWhitespace) }
        record.events = lines
        for (index, line) in lines.enumerated() where (try? JSONParser.parse(line)) == nil {
            record.bodyError = "line \(index + 1) is not valid JSON"
            return .json(400, #"{"errors":[{"message":"invalid JSON"}]}"#)
        }
        let accepted = max(0, lines.count - (lines.first.map { SinkRequest.eventType(of: $0) == "metadata" } == true ? 1 : 0))
        return .json(202, #"{"accepted":\#(accepted)}"#)
    }

    /// APM Server's OTLP/HTTP intake: binary protobuf only; success is 200 with an empty
    /// `Export…ServiceResponse` (no bytes). The body is kept for the tests to decode.
    private func otlp(_ request: ServerRequest, into record: inout SinkRequest) -> ServerResponse {
        guard request.headers["content-type"]?.lowercased().hasPrefix("application/x-protobuf") == true else {
            record.bodyError = "Content-Type \(request.headers["content-type"] ?? "none") is not application/x-protobuf"
            return .json(415, #"{"code":3,"message":"unsupported content type"}"#)
        }
        do {
            record.otlpBody = Data(try Self.inflate(request.body, encoding: request.headers["content-encoding"])).base64EncodedString()
        } catch {
            record.bodyError = "cannot inflate: \(error)"
            return .json(400, #"{"code":3,"message":"cannot decompress the body"}"#)
        }
        return ServerResponse(status: 200, headers: ["content-type": "application/x-protobuf"])
    }

    /// Undoes `Content-Encoding`; `deflate` may be zlib-wrapped or raw, as clients differ.
    static func inflate(_ body: [UInt8], encoding: String?) throws -> [UInt8] {
        guard let encoding = encoding?.lowercased().trimmingCharacters(in: .whitespaces), !encoding.isEmpty,
            encoding != "identity", !body.isEmpty
        else { return body }
        var inflater = try Inflater()
        switch encoding {
        case "gzip", "x-gzip":
            return try inflater.inflate(body, format: .gzip, maxOutputBytes: maxInflatedBytes)
        case "deflate":
            if let zlib = try? inflater.inflate(body, format: .zlib, maxOutputBytes: maxInflatedBytes) { return zlib }
            return try inflater.inflate(body, format: .raw, maxOutputBytes: maxInflatedBytes)
        default:
            throw SimulatorError(.serverFailed, "unknown Content-Encoding \(encoding)")
        }
    }

    private static func errorBody(status: Int) -> String {
        let message =
            switch status {
            case 401: "authentication failed: missing or invalid credentials"
            case 429: "too many requests"
            case 503: "service unavailable: queue is full"
            default: "internal error"
            }
        return #"{"errors":[{"message":"\#(message)"}]}"#
    }
}

extension HTTPFields {
    /// Lowercased names, the first value of a repeated one: how `SinkRequest` records headers.
    var lowercasedDictionary: [String: String] {
        var fields: [String: String] = [:]
        for (name, value) in self where fields[name.lowercased()] == nil { fields[name.lowercased()] = value }
        return fields
    }
}
