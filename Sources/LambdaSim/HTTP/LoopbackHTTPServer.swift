import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A small HTTP/1.1 server on 127.0.0.1 and a port the kernel picks, for the simulator's three
/// servers (Extensions API, APM Server sink, and tests' telemetry listeners). Each request is
/// read whole and handed to `handler`, whose `ServerAction` may also be "close without answering"
/// or "never answer", which the sink's failure behaviours need.
final class LoopbackHTTPServer: Sendable {
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>
    typealias Handler = @Sendable (ServerRequest) async -> ServerAction

    let port: Int
    private let serverChannel: NIOAsyncChannel<Connection, Never>
    private let acceptTask = Mutex<Task<Void, Never>?>(nil)
    /// Open connections, closed by `stop()`: kept-alive idle ones would otherwise never end.
    /// A pthread mutex, not `Mutex`: contended at every accept and stop, and ThreadSanitizer cannot
    /// see `Mutex`'s contended path (see Lifecycle's PendingConnections).
    private let connections = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])
    /// Numbers the connections in accept order.
    private let acceptedConnections = Atomic<Int>(0)

    private init(serverChannel: NIOAsyncChannel<Connection, Never>, port: Int) {
        self.serverChannel = serverChannel
        self.port = port
    }

    /// Binds and starts accepting; requests go to `handler` until `stop()`.
    static func start(handler: @escaping Handler) async throws -> LoopbackHTTPServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try Connection(wrappingChannelSynchronously: child)
                }
            }
        guard let port = channel.channel.localAddress?.port else {
            throw SimulatorError(.serverFailed, "the server bound no port")
        }
        let server = LoopbackHTTPServer(serverChannel: channel, port: port)
        let task = Task { await server.acceptLoop(handler: handler) }
        server.acceptTask.withLock { $0 = task }
        return server
    }

    /// Closes the listening socket and every connection, and waits for the handlers to end.
    func stop() async {
        let task = acceptTask.withLock { $0 }
        task?.cancel()
        try? await serverChannel.channel.close()
        for channel in connections.withLockedValue({ Array($0.values) }) {
            try? await channel.close()
        }
        await task?.value
    }

    private func acceptLoop(handler: @escaping Handler) async {
        do {
            try await serverChannel.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in inbound {
                        let id = ObjectIdentifier(connection.channel)
                        connections.withLockedValue { $0[id] = connection.channel }
                        let number = acceptedConnections.wrappingAdd(1, ordering: .relaxed).newValue
                        group.addTask {
                            // A failing connection never tears the server down.
                            try? await Self.serve(connection, number: number, handler: handler)
                            _ = self.connections.withLockedValue { $0.removeValue(forKey: id) }
                        }
                    }
                }
            }
        } catch {
            // The listening channel closed or the task was cancelled: the server is stopping.
        }
    }

    private static func serve(_ connection: Connection, number: Int, handler: Handler) async throws {
        try await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body = ByteBuffer()
            for try await part in inbound {
                switch part {
                case .head(let newHead):
                    head = newHead
                    body.clear()
                case .body(var chunk):
                    body.writeBuffer(&chunk)
                case .end:
                    guard let requestHead = head else { continue }
                    var request = ServerRequest(head: requestHead, body: Array(body.readableBytesView))
                    request.connection = number
                    switch await handler(request) {
                    case .respond(let response):
                        try await write(response, to: outbound, for: requestHead)
                        if !requestHead.isKeepAlive { return }
                    case .close:
                        // SO_LINGER 0 makes the close a reset, as a crashed or overloaded server's is.
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
        for request: HTTPRequestHead
    ) async throws {
        var headers = HTTPHeaders()
        for (name, value) in response.headers { headers.add(name: name, value: value) }
        headers.replaceOrAdd(name: "content-length", value: "\(response.body.count)")
        if !request.isKeepAlive { headers.replaceOrAdd(name: "connection", value: "close") }
        let head = HTTPResponseHead(
            version: request.version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        try await outbound.write(.head(head))
        if !response.body.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: response.body)))) }
        try await outbound.write(.end(nil))
    }
}
