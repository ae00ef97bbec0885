public import Logging
public import NIOCore
import NIOHTTP1
public import NIOPosix
import Transport

/// The one HTTP/1.1 server (on SwiftNIO) of the package: the extension's agent receiver and
/// telemetry listener, and the simulator's Extensions API and APM Server sink. Each request is
/// read whole and handed to the handler; each connection is served by its own task, so a slow or
/// broken client stalls only itself. Bodies over `maxBodyBytes` get 413 and the connection
/// closes; a request not fully read within `requestTimeout` (from the connection's start for its
/// first request) closes its connection; idle kept-alive connections are left open, since agents
/// reuse them after Lambda thaws the sandbox. `stop()` closes everything and waits for it.
public final class HTTPServer: Sendable {
    public typealias Handler = @Sendable (ServerRequest) async -> ServerAction
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    private let acceptLoop: AcceptLoop<HTTPServerRequestPart, HTTPServerResponsePart>
    /// The port it listens on (the kernel's pick when bound to port 0).
    public var port: Int { acceptLoop.port }

    /// Binds and starts serving.
    /// - Parameters:
    ///   - requestTimeout: `.zero`: none.
    ///   - logger: where failed connections are noted (debug); nil: nowhere.
    public static func start(
        host: String = "127.0.0.1", port: Int = 0, maxBodyBytes: Int = .max, requestTimeout: Duration = .zero,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger? = nil,
        handler: @escaping Handler
    ) async throws -> HTTPServer {
        let timeout = TimeAmount.milliseconds(requestTimeout.milliseconds)
        let acceptLoop = try await AcceptLoop<HTTPServerRequestPart, HTTPServerResponsePart>.start(
            host: host, port: port, group: group,
            configure: { child in
                try child.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                if timeout.nanoseconds > 0 { try child.pipeline.syncOperations.addHandler(RequestTimeoutHandler(timeout: timeout)) }
                return try Connection(wrappingChannelSynchronously: child)
            },
            serve: { connection, number in
                do {
                    try await serve(connection, number: number, maxBodyBytes: maxBodyBytes, handler: handler)
                } catch {
                    logger?.debug("connection ended", metadata: ["error": "\(error)"])
                }
            })
        return HTTPServer(acceptLoop: acceptLoop)
    }

    private init(acceptLoop: AcceptLoop<HTTPServerRequestPart, HTTPServerResponsePart>) {
        self.acceptLoop = acceptLoop
    }

    /// Connections accepted so far; the last one's number (`ServerRequest.connection`).
    public var connectionsAccepted: Int { acceptLoop.connectionsAccepted }

    /// Closes the listening socket and every connection, and waits for their tasks to end.
    public func stop() async {
        await acceptLoop.stop()
    }

    private static func serve(_ connection: Connection, number: Int, maxBodyBytes: Int, handler: Handler) async throws {
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
                    guard !tooLarge else { continue }
                    if body.count + buffer.readableBytes > maxBodyBytes {
                        tooLarge = true
                        body.removeAll()
                    } else {
                        body += buffer.readableBytesView
                    }
                case .end:
                    guard let requestHead = head else { continue }
                    head = nil
                    if tooLarge {
                        // The rest of an oversized body is not worth reading: answer and close.
                        try await write(.error(413, "request body exceeds \(maxBodyBytes) bytes"), to: outbound, for: requestHead, keepAlive: false)
                        return
                    }
                    let request = ServerRequest(
                        method: requestHead.method.rawValue, uri: requestHead.uri, headers: HTTPFields(requestHead.headers),
                        body: body, connection: number)
                    switch await handler(request) {
                    case .respond(let response):
                        try await write(response, to: outbound, for: requestHead, keepAlive: requestHead.isKeepAlive)
                        if !requestHead.isKeepAlive { return }
                    case .close:
                        if let socket = connection.channel as? any SocketOptionProvider {
                            try? await socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
                        }
                        return
                    case .ignore:
                        continue
                    }
                }
            }
        }
    }

    private static func write(
        _ response: ServerResponse, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>,
        for request: HTTPRequestHead, keepAlive: Bool
    ) async throws {
        var headers = HTTPHeaders()
        for (name, value) in response.headers where name.lowercased() != "content-length" && name.lowercased() != "transfer-encoding" {
            headers.add(name: name, value: value)
        }
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: request.version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        var parts: [HTTPServerResponsePart] = [.head(head)]
        if !response.body.isEmpty { parts.append(.body(.byteBuffer(ByteBuffer(bytes: response.body)))) }
        parts.append(.end(nil))
        try await outbound.write(contentsOf: parts)
    }
}

extension HTTPFields {
    init(_ headers: HTTPHeaders) {
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
