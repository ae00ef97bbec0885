import NIOConcurrencyHelpers

/// Races the three ways an invocation can end: the agent's flush, `platform.runtimeDone` for the
/// request id, and the deadline timer. Signals come from the receiver's and the listener's event
/// loop; the run loop waits. State is one Mutex; the waiter is resumed outside it.
///
/// A flush carries no request id. One that arrives between invocations is kept for the next
/// invocation only if the previous one also ended by a flush (a fast function whose agent flushed
/// before the extension saw its INVOKE); after an invocation ended by runtimeDone or its deadline,
/// it is that invocation's late flush and is ignored (its data is kept all the same).
///
/// Once an OpenTelemetry SDK is known to export here (the function's OTLP exporter endpoint is the
/// receiver, or an OTLP export arrived) and runtimeDone is expected (telemetry subscribed), an
/// agent's flush no longer ends an invocation: the SDK sends no flush of its own, and its
/// force-flush may come after the classic agent's (a function with both), but always before the
/// runtime reports done. So runtimeDone (or the deadline) ends the invocation, and the flush that
/// follows ships the SDK's exports too (docs/ARCHITECTURE.md, "Per invocation").
final class InvocationEndSignal: Sendable {
    private struct State {
        var requestID: String?
        var end: InvocationEnd?
        var waiter: CheckedContinuation<InvocationEnd, Never>?
        var flushedWhileIdle = false
        var previousEnd: InvocationEnd?
        /// runtimeDone seen for request ids not (yet) begun: telemetry can beat the INVOKE.
        var runtimeDoneEarly: [(requestID: String, status: String)] = []
        /// Telemetry is subscribed: a runtimeDone will come for every invocation.
        var runtimeDoneExpected = false
        /// An OTLP export arrived at some point: an OpenTelemetry SDK instruments the function.
        var otlpReceived = false
        var agentFlushEndsInvocation: Bool { !(runtimeDoneExpected && otlpReceived) }
    }

    private let state = NIOLockedValueBox(State())

    func begin(requestID: String) {
        state.withLockedValue { state in
            state.requestID = requestID
            state.end = nil
            if let index = state.runtimeDoneEarly.firstIndex(where: { $0.requestID == requestID }) {
                state.end = .runtimeDone(status: state.runtimeDoneEarly[index].status)
            } else if state.flushedWhileIdle, state.previousEnd == nil || state.previousEnd == .agentFlushed {
                state.end = .agentFlushed
            }
            state.runtimeDoneEarly.removeAll()
            state.flushedWhileIdle = false
        }
    }

    /// Telemetry is subscribed: runtimeDone will tell when each invocation's runtime is done.
    func expectRuntimeDone() {
        state.withLockedValue { $0.runtimeDoneExpected = true }
    }

    /// An OpenTelemetry SDK exports here (configured so, or an OTLP export arrived): from now on
    /// only runtimeDone (or the deadline) ends an invocation, if runtimeDone is expected.
    func otlpReceived() {
        state.withLockedValue { $0.otlpReceived = true }
    }

    func agentFlushed() {
        let waiter: CheckedContinuation<InvocationEnd, Never>? = state.withLockedValue { state in
            guard state.agentFlushEndsInvocation else { return nil }
            guard state.requestID != nil else {
                state.flushedWhileIdle = true
                return nil
            }
            return Self.end(&state, .agentFlushed)
        }
        waiter?.resume(returning: .agentFlushed)
    }

    func runtimeDone(requestID: String, status: String) {
        let waiter: CheckedContinuation<InvocationEnd, Never>? = state.withLockedValue { state in
            guard requestID == state.requestID else {
                if state.runtimeDoneEarly.count >= 8 { state.runtimeDoneEarly.removeFirst() }
                state.runtimeDoneEarly.append((requestID, status))
                return nil
            }
            return Self.end(&state, .runtimeDone(status: status))
        }
        waiter?.resume(returning: .runtimeDone(status: status))
    }

    func deadlineReached(requestID: String) {
        let waiter: CheckedContinuation<InvocationEnd, Never>? = state.withLockedValue { state in
            guard requestID == state.requestID else { return nil }
            return Self.end(&state, .deadlineReached)
        }
        waiter?.resume(returning: .deadlineReached)
    }

    /// Suspends until the current invocation ends (at once if it already has).
    func wait() async -> InvocationEnd {
        await withCheckedContinuation { continuation in
            let ended: InvocationEnd? = state.withLockedValue { state in
                if let end = state.end { return end }
                state.waiter = continuation
                return nil
            }
            if let ended { continuation.resume(returning: ended) }
        }
    }

    /// Back to idle once the run loop is done with the invocation.
    func finish() {
        state.withLockedValue { state in
            state.previousEnd = state.end
            state.requestID = nil
            state.end = nil
        }
    }

    /// Records the end if none yet; returns the waiter to resume.
    private static func end(_ state: inout State, _ end: InvocationEnd) -> CheckedContinuation<InvocationEnd, Never>? {
        guard state.end == nil else { return nil }
        state.end = end
        defer { state.waiter = nil }
        return state.waiter
    }
}
