import Foundation
import JSON
import Synchronization
import Transport

/// A stand-in APM Server: records every request (headers, and each ndjson line of the inflated
/// body) and answers as its current behaviour says, which a scenario sets per invocation and a
/// test sets directly.
public final class APMServerSink: Sendable {
    private struct State {
        var behaviour: SinkBehaviour = .ok
        var invocation: Int?
        var requests: [SinkRequest] = []
    }

    private let state = Mutex(State())
    private let clock: SimulationClock
    private let server: LoopbackHTTPServer
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

    private init(server: LoopbackHTTPServer, terminator: TLSTerminator?, clock: SimulationClock) {
        self.server = server
        self.terminator = terminator
        self.clock = clock
    }

    /// Starts a sink on a free loopback port, speaking HTTPS with `tls`, else plain HTTP.
    public static func start(tls: SinkTLS? = nil) async throws -> APMServerSink {
        try await start(tls: tls, clock: SimulationClock())
    }

    static func start(tls: SinkTLS?, clock: SimulationClock) async throws -> APMServerSink {
        let box = Mutex<APMServerSink?>(nil)
        let server = try await LoopbackHTTPServer.start { request in
            guard let sink = box.withLock({ $0 }) else { return .close }
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
        box.withLock { $0 = sink }
        return sink
    }

    public func stop() async {
        await terminator?.stop()
        await server.stop()
    }

    /// How the sink answers from now on.
    public func setBehaviour(_ behaviour: SinkBehaviour) {
        state.withLock { $0.behaviour = behaviour }
    }

    public var behaviour: SinkBehaviour { state.withLock { $0.behaviour } }

    /// Which invocation later requests are counted against (nil: init or shutdown).
    func setInvocation(_ invocation: Int?) {
        state.withLock { $0.invocation = invocation }
    }

    /// Every request so far, in arrival order.
    public var requests: [SinkRequest] { state.withLock { $0.requests } }

    // MARK: Answering

    private func handle(_ request: ServerRequest) async -> ServerAction {
        let (behaviour, invocation) = state.withLock { ($0.behaviour, $0.invocation) }
        var record = SinkRequest(
            method: request.method, path: request.target, headers: request.headers, events: [], status: nil,
            behaviour: behaviour.description, invocation: invocation, atMs: clock.elapsedMs(), bodyError: nil,
            connection: request.connection)
        let answer: ServerResponse
        switch (request.method, request.path) {
        case ("POST", "/intake/v2/events"):
            answer = intake(request, into: &record)
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
        state.withLock { $0.requests.append(finished) }
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
