import NIOCore
import NIOHTTP1
import Synchronization

/// Connections the listening channel accepted that no task serves yet. When the listening
/// channel closes, SwiftNIO drops the accepted connections its stream has not handed out, and a
/// `NIOAsyncChannel` dropped without `executeThenClose` traps once it becomes active
/// ("Deinited NIOAsyncWriter without calling finish()", apple/swift-nio#2813): a burst of
/// connections arriving during SHUTDOWN crashed the extension. Each connection is held here from
/// the child initializer until a task claims it, and `closeAll()` closes the unclaimed ones.
final class PendingConnections: Sendable {
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    private struct State {
        var pending: [ObjectIdentifier: Connection] = [:]
        var closed = false
    }

    private let state = Mutex(State())

    /// Holds a new connection; after `closeAll()` it is closed at once instead.
    func add(_ connection: Connection) {
        let accepted = state.withLock { state in
            guard !state.closed else { return false }
            state.pending[ObjectIdentifier(connection.channel)] = connection
            return true
        }
        if !accepted { Task { try? await connection.executeThenClose { _, _ in } } }
    }

    /// True if the caller now owns `connection` and must serve (and so close) it.
    func claim(_ connection: Connection) -> Bool {
        state.withLock { $0.pending.removeValue(forKey: ObjectIdentifier(connection.channel)) != nil }
    }

    /// Closes every connection nobody claimed, and every one accepted from now on.
    func closeAll() async {
        let unclaimed = state.withLock { state in
            state.closed = true
            defer { state.pending.removeAll() }
            return Array(state.pending.values)
        }
        for connection in unclaimed { try? await connection.executeThenClose { _, _ in } }
    }
}
