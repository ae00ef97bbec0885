import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// Serves a listening channel for the simulator's servers: every accepted connection gets its own
/// task (a failing one never tears the server down) and a number in accept order. `stop()` closes
/// the listener and every open connection (kept-alive idle ones would otherwise never end), then
/// waits for the tasks.
final class AcceptLoop<Inbound: Sendable, Outbound: Sendable>: Sendable {
    typealias Connection = NIOAsyncChannel<Inbound, Outbound>
    typealias Serve = @Sendable (_ connection: Connection, _ number: Int) async throws -> Void

    private let serverChannel: NIOAsyncChannel<Connection, Never>
    private let task = Mutex<Task<Void, Never>?>(nil)
    /// A pthread mutex, not `Mutex`: contended at every accept and stop, and ThreadSanitizer cannot
    /// see `Mutex`'s contended path (see Lifecycle's PendingConnections).
    private let connections = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])
    private let accepted = Atomic<Int>(0)

    /// Starts accepting on `serverChannel`; each connection goes to `serve`.
    init(serverChannel: NIOAsyncChannel<Connection, Never>, serve: @escaping Serve) {
        self.serverChannel = serverChannel
        let task = Task { [self] in await run(serve) }
        self.task.withLock { $0 = task }
    }

    func stop() async {
        let task = task.withLock { $0 }
        task?.cancel()
        try? await serverChannel.channel.close()
        for channel in connections.withLockedValue({ Array($0.values) }) { try? await channel.close() }
        await task?.value
    }

    private func run(_ serve: @escaping Serve) async {
        do {
            try await serverChannel.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in inbound {
                        let id = ObjectIdentifier(connection.channel)
                        connections.withLockedValue { $0[id] = connection.channel }
                        let number = accepted.wrappingAdd(1, ordering: .relaxed).newValue
                        group.addTask {
                            try? await serve(connection, number)
                            _ = self.connections.withLockedValue { $0.removeValue(forKey: id) }
                        }
                    }
                }
            }
        } catch {
            // The listening channel closed or the task was cancelled: the server is stopping.
        }
    }
}
