import NIOConcurrencyHelpers

/// Something that happens at most once (the extension registered, its n-th `/event/next`, its
/// exit), awaited with a bound. Waiting is how the simulator synchronises with the extension;
/// a timeout or `abandon()` answers nil, so nothing waits forever on a process that died.
final class OneShotEvent<Value: Sendable>: Sendable {
    private struct Waiter {
        let continuation: CheckedContinuation<Value?, Never>
        let timer: Task<Void, Never>?
    }

    private enum State {
        case pending(waiters: [Int: Waiter], nextID: Int)
        case done(Value?)
    }

    private enum WaitOutcome {
        case ready(Value?)
        case waiting(Int)
    }

    private let state = NIOLockedValueBox<State>(.pending(waiters: [:], nextID: 0))

    init() {}

    /// The value, if it has happened.
    var value: Value? {
        state.withLockedValue { state in
            if case .done(let value) = state { return value }
            return nil
        }
    }

    /// Records the value and wakes every waiter; later calls change nothing.
    func fire(_ value: Value) { finish(value) }

    /// It will never happen (the process is gone): waiters get nil.
    func abandon() { finish(nil) }

    private func finish(_ value: Value?) {
        let waiters: [Waiter] = state.withLockedValue { state in
            guard case .pending(let waiters, _) = state else { return [] }
            state = .done(value)
            return Array(waiters.values)
        }
        for waiter in waiters {
            waiter.timer?.cancel()
            waiter.continuation.resume(returning: value)
        }
    }

    /// Waits until it happens (its value), or nil after `timeoutMs` or when abandoned.
    func wait(timeoutMs: Int?) async -> Value? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Value?, Never>) in
            let outcome: WaitOutcome = state.withLockedValue { state in
                switch state {
                case .done(let value):
                    return .ready(value)
                case .pending(var waiters, let id):
                    let timer = timeoutMs.map { milliseconds in
                        // A strong capture: `finish` cancels the timer, which ends the task and
                        // releases self; a weak one reads as a leak to LeakSanitizer.
                        Task {
                            try? await Task.sleep(for: .milliseconds(max(0, milliseconds)))
                            self.expire(id)
                        }
                    }
                    waiters[id] = Waiter(continuation: continuation, timer: timer)
                    state = .pending(waiters: waiters, nextID: id + 1)
                    return .waiting(id)
                }
            }
            if case .ready(let value) = outcome { continuation.resume(returning: value) }
        }
    }

    private func expire(_ id: Int) {
        let waiter: Waiter? = state.withLockedValue { state in
            guard case .pending(var waiters, let nextID) = state, let waiter = waiters.removeValue(forKey: id) else {
                return nil
            }
            state = .pending(waiters: waiters, nextID: nextID)
            return waiter
        }
        waiter?.continuation.resume(returning: nil)
    }
}
