import HTTPServer
import NIOConcurrencyHelpers
import Transport

/// A gate tasks can wait at until it opens or their deadline passes, whichever comes first: how
/// the shutdown path waits for the last report or for sends in flight without ever overrunning
/// its budget. Open and close from anywhere; waiters are resumed outside the lock.
final class DeadlineGate: Sendable {
    private struct State {
        var isOpen: Bool
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        /// Waits whose deadline passed before their continuation was stored.
        var expired: Set<UInt64> = []
        var nextID: UInt64 = 0
    }

    private let state: NIOLockedValueBox<State>

    init(open: Bool) {
        state = NIOLockedValueBox(State(isOpen: open))
    }

    var isOpen: Bool { state.withLockedValue { $0.isOpen } }

    func open() {
        let waiters = state.withLockedValue { state in
            state.isOpen = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters.values { waiter.resume() }
    }

    func close() {
        state.withLockedValue { $0.isOpen = false }
    }

    /// Returns once the gate is open, or when `deadline` passes.
    func wait(until deadline: Deadline) async {
        let id: UInt64? = state.withLockedValue { state in
            guard !state.isOpen, !deadline.hasPassed else { return nil }
            defer { state.nextID += 1 }
            return state.nextID
        }
        guard let id else { return }
        // Strong: the timer ends at the deadline or is cancelled below, whichever is first.
        let timer = Task.inheritingExecutor {
            guard (try? await EventLoopExecutor.sleep(for: .milliseconds(max(1, deadline.remainingMilliseconds)))) != nil else { return }
            self.expire(id)
        }
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLockedValue { state in
                if state.isOpen || state.expired.remove(id) != nil { return true }
                state.waiters[id] = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
        timer.cancel()
    }

    private func expire(_ id: UInt64) {
        let waiter: CheckedContinuation<Void, Never>? = state.withLockedValue { state in
            if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
            if !state.isOpen { state.expired.insert(id) }
            return nil
        }
        waiter?.resume()
    }
}
