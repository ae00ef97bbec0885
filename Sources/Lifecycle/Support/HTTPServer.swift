public import Logging
public import NIOCore
import NIOHTTP1
import NIOPosix
public import Transport

/// A request as the extension's servers see it: whole, its body capped.
public struct ServerRequest: Sendable {
    public init(method: String, uri: String, headers: HTTPFields, body: [UInt8]) {
        self.method = method
        self.uri = uri
        self.headers = headers
        self.body = body
    }

    public var method: String
    /// Path and query as sent.
    public var uri: String
    public var headers: HTTPFields
    public var body: [UInt8]

    public var path: Substring { uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "" }

    /// The value of a query parameter, if present.
    public func queryValue(_ name: String) -> Substring? {
        guard let query = uri.split(separator: "?", maxSplits: 1).dropFirst().first else { return nil }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.first == Substring(name) { return parts.count > 1 ? parts[1] : "" }
        }
        return nil
    }
}

public struct ServerResponse: Sendable {
    public var status: Int
    public var headers: HTTPFields
    public var body: [UInt8]

    public init(status: Int, headers: HTTPFields = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON error body, as APM Server and Lambda write theirs.
    public static func error(_ status: Int, _ message: String) -> ServerResponse {
        let body: JSONBody = ["error": .string(message)]
        return ServerResponse(status: status, headers: ["Content-Type": "application/json"], body: body.bytes + [0x0A])
    }
}

/// A small HTTP/1.1 server on SwiftNIO for the agent receiver and the telemetry listener. Each
/// connection is served by its own child task, so a slow or broken client stalls only itself;
/// bodies over `maxBodyBytes` get 413; a request that is not fully read within `requestTimeout`
/// (counted from the connection's start for its first request) closes the connection.
public final class HTTPServer: Sendable {
    public typealias Handler = @Sendable (ServerRequest) async -> ServerResponse

    private let channel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
    private let handler: Handler
    private let maxBodyBytes: Int
    private let logger: Logger
    private let pending: PendingConnections
    /// The port the server listens on (useful when bound to port 0).
    public let port: Int

    public init(
        host: String, port: Int, maxBodyBytes: Int, requestTimeout: Duration, group: any EventLoopGroup,
        logger: Logger, handler: @escaping Handler
    ) async throws {
        let timeout = TimeAmount.milliseconds(requestTimeout.milliseconds)
        let pending = PendingConnections()
        self.pending = pending
        channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: host, port: port) { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try child.pipeline.syncOperations.addHandler(RequestTimeoutHandler(timeout: timeout))
                    let connection = try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: child)
                    pending.add(connection)
                    return connection
                }
            }
        self.port = channel.channel.localAddress?.port ?? port
        self.handler = handler
        self.maxBodyBytes = maxBodyBytes
        self.logger = logger
    }

    /// Serves until `close()`; a failing connection never ends the server.
    public func run() async {
        do {
            try await withThrowingDiscardingTaskGroup { group in
                try await channel.executeThenClose { connections in
                    for try await connection in connections where pending.claim(connection) {
                        group.addTask { await self.serve(connection) }
                    }
                }
            }
        } catch {
            logger.debug("server stopped", metadata: ["error": "\(error)"])
        }
    }

    public func close() async {
        try? await channel.channel.close()
        await pending.closeAll()
    }

    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var body: [UInt8] = []
                var tooLarge = false
                for try await part in inbound {
                    switch part {
                    case .head(let requestHead):
                        head = requestHead
                        body.removeAll(keepingCapacity: true)
                        tooLarge = requestHead.headers.first(name: "content-length").flatMap(Int.init).map { $0 > maxBodyBytes } ?? false
                    case .body(let buffer):
                        if !tooLarge {
                            if body.count + buffer.readableBytes > maxBodyBytes {
                                tooLarge = true
                                body.removeAll()
                            } else {
                                body += buffer.readableBytesView
                            }
                        }
                    case .end:
                        guard let requestHead = head else { continue }
                        head = nil
                        if tooLarge {
                            // The rest of an oversized body is not worth reading: answer and close.
                            try await write(.error(413, "request body exceeds \(maxBodyBytes) bytes"), to: outbound, keepAlive: false)
                            return
                        }
                        let request = ServerRequest(
                            method: requestHead.method.rawValue, uri: requestHead.uri,
                            headers: HTTPFields(requestHead.headers), body: body)
                        let response = await handler(request)
                        try await write(response, to: outbound, keepAlive: requestHead.isKeepAlive)
                        if !requestHead.isKeepAlive { return }
                    }
                }
            }
        } catch {
            logger.debug("connection ended", metadata: ["error": "\(error)"])
        }
    }

    private func write(
        _ response: ServerResponse, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>, keepAlive: Bool
    ) async throws {
        var headers = NIOHTTP1.HTTPHeaders()
        for (name, value) in response.headers where name.lowercased() != "content-length" && name.lowercased() != "transfer-encoding" {
            headers.add(name: name, value: value)
        }
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        try await outbound.write(contentsOf: [
            .head(head), .body(.byteBuffer(ByteBuffer(bytes: response.body))), .end(nil),
        ])
    }
}

extension HTTPFields {
    init(_ headers: NIOHTTP1.HTTPHeaders) {
        self.init()
        for (name, value) in headers { add(name: name, value: value) }
    }
}

/// Closes a connection whose request is not fully read in time: from the connection's start for
/// the first request, from its head for later ones. Idle kept-alive connections are left alone:
/// Lambda freezes the sandbox between invocations, and agents reuse those connections after it.
private final class RequestTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    private let timeout: TimeAmount
    private var timer: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: if timer == nil { start(context: context) }
        case .body: break
        case .end:
            timer?.cancel()
            timer = nil
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    private func start(context: ChannelHandlerContext) {
        guard timer == nil, timeout.nanoseconds > 0 else { return }
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: timeout) {
            loopBound.value.close(promise: nil)
        }
    }
}
