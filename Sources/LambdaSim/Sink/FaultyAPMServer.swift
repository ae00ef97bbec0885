import HTTPServer
import Foundation
import NIOCore
import NIOPosix
import NIOConcurrencyHelpers

/// What a `FaultyAPMServer` does to an intake request instead of answering it properly.
public enum APMServerFault: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    /// Reads the head and the first bytes of the body, then resets the connection (SO_LINGER 0).
    case resetMidBody = "reset-mid-body"
    /// Reads the request, writes bytes that are not HTTP, and closes.
    case garbage
    /// Reads the request and writes a valid 202, one byte at a time with a pause after each:
    /// slow, but an answer; the data counts as delivered.
    case slowBytes = "slow-bytes"
    /// Reads the request, writes a 202 status line and headers announcing a body, then closes.
    case closeAfterHeaders = "close-after-headers"

    public var description: String { rawValue }
}

/// An APM Server that misbehaves below HTTP, which `APMServerSink` (an HTTP server) cannot: it
/// reads requests itself from the raw TCP stream (head, then a `Content-Length` body), applies its
/// fault to the first `faultyRequests` intake requests, then answers 202 and records what it
/// accepted, as the sink does. Point the extension at `url` with `ELASTIC_APM_LAMBDA_APM_SERVER`.
public final class FaultyAPMServer: Sendable {
    typealias Connection = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    private struct State {
        var faultsLeft: Int
        var faultsApplied = 0
        var requests: [SinkRequest] = []
    }

    public let fault: APMServerFault
    public var port: Int { acceptLoop.port }
    public var url: String { "http://127.0.0.1:\(port)" }
    /// Pause after each byte of a `slowBytes` answer.
    static let slowBytePause = Duration.milliseconds(2)

    private let state: NIOLockedValueBox<State>
    private let clock = SimulationClock()
    private let acceptLoop: AcceptLoop<ByteBuffer, ByteBuffer>

    private init(fault: APMServerFault, faultyRequests: Int, acceptLoop: AcceptLoop<ByteBuffer, ByteBuffer>) {
        self.fault = fault
        self.state = NIOLockedValueBox(State(faultsLeft: faultyRequests))
        self.acceptLoop = acceptLoop
    }

    /// Listens on a free loopback port; the first `faultyRequests` intake requests get `fault`.
    public static func start(fault: APMServerFault, faultyRequests: Int) async throws -> FaultyAPMServer {
        let box = NIOLockedValueBox<FaultyAPMServer?>(nil)
        let acceptLoop = try await AcceptLoop<ByteBuffer, ByteBuffer>.start(
            host: "127.0.0.1", port: 0, group: MultiThreadedEventLoopGroup.singleton,
            configure: { child in try Connection(wrappingChannelSynchronously: child) },
            serve: { connection, number in
                guard let server = box.withLockedValue({ $0 }) else { return }
                try await server.serve(connection, number: number)
            })
        let server = FaultyAPMServer(fault: fault, faultyRequests: faultyRequests, acceptLoop: acceptLoop)
        box.withLockedValue { $0 = server }
        return server
    }

    /// Closes the listening socket and every connection, and waits for the handlers to end.
    public func stop() async {
        await acceptLoop.stop()
    }

    /// Every request so far, in arrival order; a faulted one has no status and no events.
    public var requests: [SinkRequest] { state.withLockedValue { $0.requests } }
    /// How many intake requests got the fault.
    public var faultsApplied: Int { state.withLockedValue { $0.faultsApplied } }

    // MARK: Serving

    private func serve(_ connection: Connection, number: Int) async throws {
        try await connection.executeThenClose { inbound, outbound in
            var pending = ByteBuffer()
            var current: (head: RawRequestHead, fault: APMServerFault?)?
            for try await var chunk in inbound {
                pending.writeBuffer(&chunk)
                while true {
                    if current == nil {
                        guard let head = RawRequestHead.read(from: &pending) else { break }
                        current = (head, head.isIntake ? takeFault() : nil)
                    }
                    guard let (head, fault) = current else { break }
                    if fault == .resetMidBody {
                        // Part of the body is in (or there is none): reset without reading the rest.
                        guard pending.readableBytes > 0 || head.contentLength == 0 else { break }
                        record(head, body: nil, status: nil, fault: fault, connection: number)
                        if let socket = connection.channel as? any SocketOptionProvider {
                            try? await socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
                        }
                        return
                    }
                    guard pending.readableBytes >= head.contentLength,
                        let body = pending.readBytes(length: head.contentLength)
                    else { break }
                    current = nil
                    switch fault {
                    case .garbage:
                        record(head, body: nil, status: nil, fault: fault, connection: number)
                        try await outbound.write(ByteBuffer(string: "\u{1}\u{2}\u{3} this is not HTTP \u{7f}\r\n\r\n"))
                        return
                    case .closeAfterHeaders:
                        record(head, body: nil, status: nil, fault: fault, connection: number)
                        try await outbound.write(ByteBuffer(string:
                            "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 64\r\n\r\n"))
                        return
                    case .slowBytes:
                        let response = answer(head, body: body, fault: fault, connection: number)
                        for byte in response {
                            try await outbound.write(ByteBuffer(bytes: [byte]))
                            try await Task.sleep(for: Self.slowBytePause)
                        }
                    case .resetMidBody, nil:
                        try await outbound.write(ByteBuffer(bytes: answer(head, body: body, fault: nil, connection: number)))
                    }
                    if !head.keepAlive { return }
                }
            }
        }
    }

    private func takeFault() -> APMServerFault? {
        state.withLockedValue { state in
            guard state.faultsLeft > 0 else { return nil }
            state.faultsLeft -= 1
            state.faultsApplied += 1
            return fault
        }
    }

    /// Answers a request that was read whole, as `APMServerSink` does, and records it.
    private func answer(_ head: RawRequestHead, body: [UInt8], fault: APMServerFault?, connection: Int) -> [UInt8] {
        let (status, json, events): (Int, String, [String])
        switch (head.method, head.path) {
        case ("POST", "/intake/v2/events"):
            if let inflated = try? APMServerSink.inflate(body, encoding: head.headers["content-encoding"]) {
                let lines = inflated.split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) }
                    .filter { !$0.allSatisfy(\.isWhitespace) }
                let accepted = lines.filter { SinkRequest.eventType(of: $0) != "metadata" }.count
                (status, json, events) = (202, #"{"accepted":\#(accepted)}"#, lines)
            } else {
                (status, json, events) = (400, #"{"errors":[{"message":"cannot decompress the body"}]}"#, [])
            }
        case ("GET", "/"):
            (status, json, events) = (200, #"{"version":"8.15.0","publish_ready":true}"#, [])
        default:
            (status, json, events) = (404, #"{"errors":[{"message":"404 page not found"}]}"#, [])
        }
        record(head, body: events, status: status, fault: fault, connection: connection)
        let reason = status == 202 ? "Accepted" : status == 200 ? "OK" : status == 404 ? "Not Found" : "Bad Request"
        var response = "HTTP/1.1 \(status) \(reason)\r\nContent-Type: application/json\r\nContent-Length: \(json.utf8.count)\r\n"
        if !head.keepAlive { response += "Connection: close\r\n" }
        return Array((response + "\r\n" + json).utf8)
    }

    private func record(_ head: RawRequestHead, body events: [String]?, status: Int?, fault: APMServerFault?, connection: Int) {
        let request = SinkRequest(
            method: head.method, path: head.target, headers: head.headers, events: events ?? [], status: status,
            behaviour: fault?.rawValue ?? "ok", invocation: nil, atMs: clock.elapsedMs(), bodyError: nil, connection: connection)
        state.withLockedValue { $0.requests.append(request) }
    }
}

/// The head of an HTTP/1.1 request, read from raw bytes: enough for a test server.
struct RawRequestHead: Sendable {
    var method: String
    var target: String
    /// Lowercased names.
    var headers: [String: String]
    var contentLength: Int
    var keepAlive: Bool

    var path: Substring { target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "" }
    var isIntake: Bool { method == "POST" && path == "/intake/v2/events" }

    /// Consumes a complete head from `buffer`; nil (consuming nothing) while it is incomplete.
    static func read(from buffer: inout ByteBuffer) -> RawRequestHead? {
        let bytes = buffer.readableBytesView
        guard let end = bytes.firstRange(of: [13, 10, 13, 10]) else { return nil }
        let text = String(decoding: bytes[bytes.startIndex..<end.lowerBound], as: UTF8.self)
        buffer.moveReaderIndex(forwardBy: end.upperBound - bytes.startIndex)
        let lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)
        let requestLine = lines.first?.split(separator: " ") ?? []
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return RawRequestHead(
            method: requestLine.first.map(String.init) ?? "", target: requestLine.dropFirst().first.map(String.init) ?? "/",
            headers: headers, contentLength: headers["content-length"].flatMap(Int.init) ?? 0,
            keepAlive: headers["connection"]?.lowercased() != "close")
    }
}
