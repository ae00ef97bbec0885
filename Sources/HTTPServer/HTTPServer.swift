public import Logging
public import NIOCore
import NIOConcurrencyHelpers
import NIOHTTP1
public import NIOPosix
import Transport

/// The one HTTP/1.1 server (on SwiftNIO) of the package: the extension's agent receiver and
/// telemetry listener, and the simulator's Extensions API and APM Server sink. Each request is
/// read whole by a channel handler and handed to the handler in a task of its own, on the executor
/// the caller of `start` prefers (the extension's event loop; Swift's pool elsewhere); a
/// connection's next request is read once the previous one is answered (NIO's pipelining
/// assistance), so a slow or broken client stalls only itself. Bodies over `maxBodyBytes` get 413
/// and the connection closes; a request not fully read within `requestTimeout` (from the
/// connection's start for its first request) closes its connection; idle kept-alive connections
/// are left open, since agents reuse them after Lambda thaws the sandbox. `stop()` closes
/// everything and waits for it.
///
/// Plain channel handlers rather than `NIOAsyncChannel`: the async channel's generic machinery was
/// a fifth of a start's instructions and a few per cent of each request's (Benchmarks/ANALYSIS.md).
public final class HTTPServer: Sendable {
    public typealias Handler = @Sendable (ServerRequest) async -> ServerAction

    private let listener: any Channel
    private let connections: Connections
    /// The port it listens on (the kernel's pick when bound to port 0).
    public let port: Int

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
        let connections = Connections(executor: preferredTaskExecutor)
        let listener = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    // Throws once stopping: NIO then closes the connection.
                    let number = try connections.accept(child)
                    let pipeline = child.pipeline.syncOperations
                    try pipeline.configureHTTPServerPipeline(withErrorHandling: true)
                    if timeout.nanoseconds > 0 { try pipeline.addHandler(RequestTimeoutHandler(timeout: timeout)) }
                    try pipeline.addHandler(RequestHandler(
                        connection: number, maxBodyBytes: maxBodyBytes, handler: handler, connections: connections, logger: logger))
                }
            }
            .bind(host: host, port: port).get()
        return HTTPServer(listener: listener, connections: connections, port: listener.localAddress?.port ?? port)
    }

    private init(listener: any Channel, connections: Connections, port: Int) {
        self.listener = listener
        self.connections = connections
        self.port = port
    }

    /// Connections accepted so far; the last one's number (`ServerRequest.connection`).
    public var connectionsAccepted: Int { connections.acceptedCount }

    /// Closes the listening socket and every connection, and waits for them and their handlers.
    public func stop() async {
        try? await listener.close()
        await connections.closeAll()
    }
}

/// Reads one request at a time, whole, and hands it to the server's handler in a task.
private final class RequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let connection: Int
    private let maxBodyBytes: Int
    private let handler: HTTPServer.Handler
    private let connections: Connections
    private let logger: Logger?
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false

    init(connection: Int, maxBodyBytes: Int, handler: @escaping HTTPServer.Handler, connections: Connections, logger: Logger?) {
        self.connection = connection
        self.maxBodyBytes = maxBodyBytes
        self.handler = handler
        self.connections = connections
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            body.removeAll(keepingCapacity: true)
            tooLarge = requestHead.headers.first(name: "content-length").flatMap(Int.init).map { $0 > maxBodyBytes } ?? false
        case .body(let buffer):
            guard !tooLarge else { return }
            if body.count + buffer.readableBytes > maxBodyBytes {
                tooLarge = true
                body.removeAll()
            } else {
                body += buffer.readableBytesView
            }
        case .end:
            guard let requestHead = head else { return }
            head = nil
            let channel = context.channel
            if tooLarge {
                // The rest of an oversized body is not worth reading: answer and close.
                Self.write(
                    .error(413, "request body exceeds \(maxBodyBytes) bytes"), on: channel, version: requestHead.version, keepAlive: false)
                return
            }
            let request = ServerRequest(
                method: requestHead.method.rawValue, uri: requestHead.uri, headers: HTTPFields(requestHead.headers), body: body,
                connection: connection)
            let handler = handler
            connections.run {
                switch await handler(request) {
                case .respond(let response):
                    Self.write(response, on: channel, version: requestHead.version, keepAlive: requestHead.isKeepAlive)
                case .close:
                    if let socket = channel as? any SocketOptionProvider {
                        try? await socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
                    }
                    try? await channel.close()
                case .ignore:
                    break
                }
            }
        }
    }

    /// The response's parts, as written on `channel`.
    private static func write(_ response: ServerResponse, on channel: any Channel, version: HTTPVersion, keepAlive: Bool) {
        var headers = HTTPHeaders()
        for (name, value) in response.headers
        where !HTTPFields.isSameName(name, "content-length") && !HTTPFields.isSameName(name, "transfer-encoding") {
            headers.add(name: name, value: value)
        }
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        channel.write(HTTPServerResponsePart.head(head), promise: nil)
        if !response.body.isEmpty { channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: response.body))), promise: nil) }
        let written = channel.writeAndFlush(HTTPServerResponsePart.end(nil))
        if !keepAlive { written.whenComplete { _ in channel.close(promise: nil) } }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger?.debug("connection ended", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }
}

/// Every open connection and every handler task, so that `stop()` can close the first and wait
/// for both. Its lock is a pthread mutex (`NIOLockedValueBox`), which ThreadSanitizer sees.
private final class Connections: Sendable {
    private struct State {
        var open: [ObjectIdentifier: any Channel] = [:]
        var tasks: [UInt64: Task<Void, Never>] = [:]
        var nextTask: UInt64 = 0
        var accepted = 0
        var stopping = false
    }

    private struct Stopping: Error {}

    /// Where handler tasks run: the executor `start`'s caller preferred (nil: Swift's pool).
    private let executor: (any TaskExecutor)?
    private let state = NIOLockedValueBox(State())

    init(executor: (any TaskExecutor)?) {
        self.executor = executor
    }

    var acceptedCount: Int { state.withLockedValue { $0.accepted } }

    /// Holds a new connection until it closes; its number in accept order (from 1).
    func accept(_ channel: any Channel) throws -> Int {
        let number = try state.withLockedValue { state throws -> Int in
            guard !state.stopping else { throw Stopping() }
            state.accepted += 1
            state.open[ObjectIdentifier(channel)] = channel
            return state.accepted
        }
        channel.closeFuture.whenComplete { _ in
            _ = self.state.withLockedValue { $0.open.removeValue(forKey: ObjectIdentifier(channel)) }
        }
        return number
    }

    /// Runs a request's handling in a task `closeAll()` waits for; none once stopping.
    func run(_ operation: @escaping @Sendable () async -> Void) {
        state.withLockedValue { state in
            guard !state.stopping else { return }
            let id = state.nextTask
            state.nextTask += 1
            state.tasks[id] = Task(executorPreference: executor) {
                await operation()
                _ = self.state.withLockedValue { $0.tasks.removeValue(forKey: id) }
            }
        }
    }

    /// Closes every connection, cancels the handlers still running and waits for all of it. All
    /// at once: a thousand idle connections closed one after the other would outlast SHUTDOWN's budget.
    func closeAll() async {
        let (channels, tasks) = state.withLockedValue { state in
            state.stopping = true
            return (Array(state.open.values), Array(state.tasks.values))
        }
        for channel in channels { channel.close(promise: nil) }
        for task in tasks { task.cancel() }
        for channel in channels { try? await channel.closeFuture.get() }
        for task in tasks { await task.value }
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
