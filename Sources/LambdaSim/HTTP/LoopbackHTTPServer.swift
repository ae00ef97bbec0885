import NIOCore
import NIOHTTP1
import NIOPosix

/// A small HTTP/1.1 server on 127.0.0.1 and a port the kernel picks, for the simulator's three
/// servers (Extensions API, APM Server sink, and tests' telemetry listeners). Each request is
/// read whole and handed to `handler`, whose `ServerAction` may also be "close without answering"
/// or "never answer", which the sink's failure behaviours need.
final class LoopbackHTTPServer: Sendable {
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>
    typealias Handler = @Sendable (ServerRequest) async -> ServerAction

    let port: Int
    private let acceptLoop: AcceptLoop<HTTPServerRequestPart, HTTPServerResponsePart>

    private init(acceptLoop: AcceptLoop<HTTPServerRequestPart, HTTPServerResponsePart>, port: Int) {
        self.acceptLoop = acceptLoop
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
        let acceptLoop = AcceptLoop(serverChannel: channel) { connection, number in
            try await Self.serve(connection, number: number, handler: handler)
        }
        return LoopbackHTTPServer(acceptLoop: acceptLoop, port: port)
    }

    /// Closes the listening socket and every connection, and waits for the handlers to end.
    func stop() async {
        await acceptLoop.stop()
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
