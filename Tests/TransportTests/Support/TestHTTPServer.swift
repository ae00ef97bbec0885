import NIOCore
import NIOHTTP1
import NIOPosix
import NIOConcurrencyHelpers

/// A plain HTTP/1.1 server on a loopback port for the transport's tests: it answers each request
/// as the test's behaviour says and counts the TCP connections it accepted and saw closed. Tests
/// wait for what it sees (`waitUntil`), never for a time.
final class TestHTTPServer: Sendable {
    struct Request: Sendable {
        var method: String
        var uri: String
        var headers: [(name: String, value: String)]
        var body: [UInt8]

        func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    enum Reply: Sendable {
        case respond(status: Int, headers: [(String, String)] = [], body: [UInt8] = [])
        /// Reads the request and never answers.
        case hang
        /// Closes the connection without answering.
        case close
        /// Answers once the test calls `releaseDeferred()`.
        case deferred(status: Int)
    }

    typealias Behaviour = @Sendable (_ request: Request, _ index: Int) -> Reply

    /// What the server has seen so far.
    struct Seen: Sendable {
        var connections = 0
        var closedConnections = 0
        var requests: [Request] = []
    }

    private struct State {
        var seen = Seen()
        var deferredReplies: [@Sendable () -> Void] = []
        var deferredReleased = false
        var waiters: [Int: (condition: @Sendable (Seen) -> Bool, continuation: CheckedContinuation<Void, Never>)] = [:]
        var lastWaiter = 0
    }

    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    private let state = NIOLockedValueBox(State())
    let port: Int

    var connectionCount: Int { state.withLockedValue { $0.seen.connections } }
    var requests: [Request] { state.withLockedValue { $0.seen.requests } }

    /// Returns once what the server has seen satisfies `condition`, or the task is cancelled (a
    /// test past its time limit).
    func waitUntil(_ condition: @escaping @Sendable (Seen) -> Bool) async {
        let id = state.withLockedValue { state in
            state.lastWaiter += 1
            return state.lastWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                state.withLockedValue { state in
                    if condition(state.seen) || Task.isCancelled {
                        continuation.resume()
                    } else {
                        state.waiters[id] = (condition, continuation)
                    }
                }
            }
        } onCancel: {
            state.withLockedValue { $0.waiters.removeValue(forKey: id) }?.continuation.resume()
        }
    }

    /// Sends the answers held back by `.deferred` replies, and from now on answers them at once
    /// (a request is seen before its reply is held).
    func releaseDeferred() {
        let replies = state.withLockedValue { state in
            defer { state.deferredReplies = [] }
            state.deferredReleased = true
            return state.deferredReplies
        }
        for reply in replies { reply() }
    }

    init(behaviour: @escaping Behaviour) async throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let box = StateBox()
        channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                box.server?.update { $0.connections += 1 }
                return channel.pipeline.configureHTTPServerPipeline().flatMapThrowing {
                    try channel.pipeline.syncOperations.addHandler(RequestHandler(box: box, behaviour: behaviour))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress!.port!
        box.server = self
    }

    /// Runs `body` with a server, then shuts it down.
    static func with<Result>(
        behaviour: @escaping Behaviour, _ body: (TestHTTPServer) async throws -> Result
    ) async throws -> Result {
        let server = try await TestHTTPServer(behaviour: behaviour)
        do {
            let result = try await body(server)
            try await server.shutdown()
            return result
        } catch {
            try? await server.shutdown()
            throw error
        }
    }

    func shutdown() async throws {
        try await channel.close()
        try await group.shutdownGracefully()
    }

    fileprivate func record(_ request: Request) -> Int {
        update {
            $0.requests.append(request)
            return $0.requests.count - 1
        }
    }

    fileprivate func update<Result>(_ change: (inout Seen) -> Result) -> Result {
        state.withLockedValue { state in
            let result = change(&state.seen)
            let seen = state.seen
            for (id, waiter) in state.waiters where waiter.condition(seen) {
                state.waiters[id] = nil
                waiter.continuation.resume()
            }
            return result
        }
    }

    fileprivate func holdReply(_ reply: @escaping @Sendable () -> Void) {
        let released = state.withLockedValue { state in
            if !state.deferredReleased { state.deferredReplies.append(reply) }
            return state.deferredReleased
        }
        if released { reply() }
    }

    /// Lets the child initialiser reach the server, which exists only once bound.
    fileprivate final class StateBox: @unchecked Sendable {
        // Written once before any connection can arrive, read on the event loop afterwards.
        weak var server: TestHTTPServer?
    }

    private final class RequestHandler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        private let box: StateBox
        private let behaviour: Behaviour
        private var head: HTTPRequestHead?
        private var body: [UInt8] = []

        init(box: StateBox, behaviour: @escaping Behaviour) {
            self.box = box
            self.behaviour = behaviour
        }

        func channelInactive(context: ChannelHandlerContext) {
            box.server?.update { $0.closedConnections += 1 }
            context.fireChannelInactive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = []
            case .body(var buffer):
                body += buffer.readBytes(length: buffer.readableBytes) ?? []
            case .end:
                guard let head, let server = box.server else { return }
                let request = Request(
                    method: head.method.rawValue, uri: head.uri,
                    headers: head.headers.map { (name: $0.name, value: $0.value) }, body: body)
                let index = server.record(request)
                reply(behaviour(request, index), to: head, context: context)
            }
        }

        private func reply(_ reply: Reply, to head: HTTPRequestHead, context: ChannelHandlerContext) {
            switch reply {
            case .hang:
                return
            case .close:
                context.close(promise: nil)
            case .deferred(let status):
                let held = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
                box.server?.holdReply {
                    held.eventLoop.execute {
                        held.value.handler.reply(.respond(status: status), to: head, context: held.value.context)
                    }
                }
            case .respond(let status, let extraHeaders, let body):
                var headers = NIOHTTP1.HTTPHeaders(extraHeaders)
                headers.replaceOrAdd(name: "Content-Length", value: String(body.count))
                let responseHead = HTTPResponseHead(version: head.version, status: .init(statusCode: status), headers: headers)
                context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
