import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// Connections the listening channel accepted that no task serves yet. When the listening
/// channel closes, SwiftNIO drops the accepted connections its stream has not handed out, and a
/// `NIOAsyncChannel` dropped without `executeThenClose` traps once it becomes active
/// ("Deinited NIOAsyncWriter without calling finish()", apple/swift-nio#2813): a burst of
/// connections arriving during SHUTDOWN crashed the extension. Each connection is held here from
/// the child initializer until a task claims it, and `closeAll()` closes the unclaimed ones.
///
/// The lock is a pthread mutex (`NIOLockedValueBox`), not `Synchronization.Mutex`: this one is
/// contended on every accept (the event loop adds, a task claims), and Mutex's contended path
/// (a futex in the uninstrumented `libswiftSynchronization.so`) is invisible to ThreadSanitizer,
/// which then reports the guarded accesses as races.
final class PendingConnections: Sendable {
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    private struct State {
        var pending: [ObjectIdentifier: Connection] = [:]
        var closed = false
    }

    private let state = NIOLockedValueBox(State())

    /// Holds a new connection; after `closeAll()` it is closed at once instead.
    func add(_ connection: Connection) {
        let accepted = state.withLockedValue { state in
            guard !state.closed else { return false }
            state.pending[ObjectIdentifier(connection.channel)] = connection
            return true
        }
        if !accepted { Task { try? await connection.executeThenClose { _, _ in } } }
    }

    /// True if the caller now owns `connection` and must serve (and so close) it.
    func claim(_ connection: Connection) -> Bool {
        state.withLockedValue { $0.pending.removeValue(forKey: ObjectIdentifier(connection.channel)) != nil }
    }

    /// Closes every connection nobody claimed, and every one accepted from now on.
    func closeAll() async {
        let unclaimed = state.withLockedValue { state in
            state.closed = true
            defer { state.pending.removeAll() }
            return Array(state.pending.values)
        }
        for connection in unclaimed { try? await connection.executeThenClose { _, _ in } }
    }
}
