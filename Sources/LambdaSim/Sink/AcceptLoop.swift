import HTTPServer
import NIOCore
import NIOConcurrencyHelpers
import NIOPosix

/// Accepts connections on a listening socket and serves each in a task of its own, numbered in
/// accept order: a slow or failing connection stalls only itself. The loop owns its task;
/// `stop()` closes the listener and every connection (idle kept-alive ones would otherwise never
/// end) and waits for all of it. For servers that speak below HTTP (`FaultyAPMServer`); HTTP
/// servers are `HTTPServer`.
final class AcceptLoop<Inbound: Sendable, Outbound: Sendable>: Sendable {
    typealias Connection = NIOAsyncChannel<Inbound, Outbound>
    /// Sets up a new connection's pipeline, on its event loop.
    typealias Configure = @Sendable (any Channel) throws -> Connection
    typealias Serve = @Sendable (_ connection: Connection, _ number: Int) async throws -> Void

    /// The port it listens on (the kernel's pick when bound to port 0).
    let port: Int
    private let listener: NIOAsyncChannel<Connection, Never>
    private let registry: ConnectionRegistry<Inbound, Outbound>
    private let task: NIOLockedValueBox<Task<Void, Never>?>

    /// Binds `host:port` and starts accepting; each connection goes to `serve` until `stop()`.
    static func start(
        host: String, port: Int, group: any EventLoopGroup, configure: @escaping Configure, serve: @escaping Serve
    ) async throws -> AcceptLoop {
        let registry = ConnectionRegistry<Inbound, Outbound>()
        let listener = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: host, port: port) { child in
                child.eventLoop.makeCompletedFuture { try registry.accept { try configure(child) } }
            }
        let loop = AcceptLoop(listener: listener, registry: registry, port: listener.channel.localAddress?.port ?? port)
        loop.task.withLockedValue { $0 = Task.inheritingExecutor { await loop.run(serve) } }
        return loop
    }

    private init(listener: NIOAsyncChannel<Connection, Never>, registry: ConnectionRegistry<Inbound, Outbound>, port: Int) {
        self.listener = listener
        self.registry = registry
        self.port = port
        task = NIOLockedValueBox(nil)
    }

    /// Connections accepted so far; the last one's number.
    var connectionsAccepted: Int { registry.acceptedCount }

    /// Closes the listening socket and every connection, and waits for their tasks to end.
    func stop() async {
        let task = task.withLockedValue { $0 }
        task?.cancel()
        try? await listener.channel.close()
        await registry.closeAll()
        await task?.value
    }

    private func run(_ serve: @escaping Serve) async {
        do {
            try await listener.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in inbound {
                        guard let number = registry.claim(connection) else { continue }
                        group.addTask {
                            try? await serve(connection, number)
                            self.registry.served(connection)
                        }
                    }
                }
            }
        } catch {
            // The listener closed or the task was cancelled: the server is stopping.
        }
    }
}

/// Every open connection, from the moment it is accepted. When the listener closes, SwiftNIO
/// drops the accepted connections its stream has not handed out yet, and a `NIOAsyncChannel`
/// dropped without `executeThenClose` traps once it becomes active (apple/swift-nio#2813): a
/// burst of connections during SHUTDOWN would crash the extension. So each one is held here from
/// the child initializer; `closeAll()` closes those no task claimed and those being served.
///
/// The lock is a pthread mutex (`NIOLockedValueBox`), not `Synchronization.Mutex`: it is contended
/// at every accept (the event loop adds, a task claims), and Mutex's contended path (a futex in
/// the uninstrumented `libswiftSynchronization.so`) is invisible to ThreadSanitizer, which then
/// reports the accesses it guards as races.
final class ConnectionRegistry<Inbound: Sendable, Outbound: Sendable>: Sendable {
    typealias Connection = NIOAsyncChannel<Inbound, Outbound>

    private struct State {
        var unclaimed: [ObjectIdentifier: Connection] = [:]
        var served: [ObjectIdentifier: any Channel] = [:]
        var accepted = 0
        var closed = false
    }

    private let state = NIOLockedValueBox(State())

    /// Makes and holds a new connection. After `closeAll()` it is closed at once instead: in a
    /// task of its own, the only way to close a `NIOAsyncChannel` (a failed child initializer
    /// would leave SwiftNIO's accepted channel unclosed).
    func accept(_ make: () throws -> Connection) throws -> Connection {
        let connection = try make()
        let held = state.withLockedValue { state in
            guard !state.closed else { return false }
            state.unclaimed[ObjectIdentifier(connection.channel)] = connection
            return true
        }
        if !held { Task.inheritingExecutor { try? await connection.executeThenClose { _, _ in } } }
        return connection
    }

    /// The connection's number in accept order (from 1) if the caller now owns it and must serve
    /// (and so close) it; nil when `closeAll()` took it.
    func claim(_ connection: Connection) -> Int? {
        state.withLockedValue { state in
            let id = ObjectIdentifier(connection.channel)
            guard state.unclaimed.removeValue(forKey: id) != nil else { return nil }
            state.served[id] = connection.channel
            state.accepted += 1
            return state.accepted
        }
    }

    var acceptedCount: Int { state.withLockedValue { $0.accepted } }

    func served(_ connection: Connection) {
        _ = state.withLockedValue { $0.served.removeValue(forKey: ObjectIdentifier(connection.channel)) }
    }

    /// Closes every connection, claimed or not, and every one accepted from now on.
    func closeAll() async {
        let (unclaimed, served) = state.withLockedValue { state in
            state.closed = true
            defer {
                state.unclaimed.removeAll()
                state.served.removeAll()
            }
            return (Array(state.unclaimed.values), Array(state.served.values))
        }
        // All at once: a thousand idle connections closed one after the other would outlast
        // SHUTDOWN's budget. A served one's task ends when its channel closes.
        for channel in served { channel.close(promise: nil) }
        await withDiscardingTaskGroup { group in
            for connection in unclaimed { group.addTask { try? await connection.executeThenClose { _, _ in } } }
        }
    }
}
