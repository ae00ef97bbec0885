@testable import Lifecycle
import Testing

@Suite("Invocation end signal")
struct InvocationEndSignalTests {
    @Test("the first signal wins; later ones change nothing")
    func firstSignalWins() async {
        let signal = InvocationEndSignal()
        signal.begin(requestID: "r1")
        signal.runtimeDone(requestID: "r1", status: "error")
        signal.agentFlushed()
        #expect(await signal.wait() == .runtimeDone(status: "error"))
    }

    @Test("a waiter is resumed by a signal from another task")
    func waiterResumes() async {
        let signal = InvocationEndSignal()
        signal.begin(requestID: "r1")
        async let end = signal.wait()
        signal.deadlineReached(requestID: "other")
        signal.deadlineReached(requestID: "r1")
        #expect(await end == .deadlineReached)
    }

    @Test("runtimeDone that beats the INVOKE is kept for it")
    func earlyRuntimeDone() async {
        let signal = InvocationEndSignal()
        signal.runtimeDone(requestID: "r1", status: "success")
        signal.begin(requestID: "r1")
        #expect(await signal.wait() == .runtimeDone(status: "success"))
    }

    @Test("an early flush counts after a flushed invocation; a late one after runtimeDone does not")
    func flushBetweenInvocations() async {
        let signal = InvocationEndSignal()
        signal.begin(requestID: "r1")
        signal.agentFlushed()
        #expect(await signal.wait() == .agentFlushed)
        signal.finish()
        signal.agentFlushed() // r2's agent flushed before the extension saw INVOKE r2
        signal.begin(requestID: "r2")
        #expect(await signal.wait() == .agentFlushed)
        signal.finish()

        let late = InvocationEndSignal()
        late.begin(requestID: "r1")
        late.runtimeDone(requestID: "r1", status: "success")
        #expect(await late.wait() == .runtimeDone(status: "success"))
        late.finish()
        late.agentFlushed() // r1's late flush
        late.begin(requestID: "r2")
        late.runtimeDone(requestID: "r2", status: "success")
        #expect(await late.wait() == .runtimeDone(status: "success"))
    }
}

@Suite("Invocation end signal with OTLP")
struct InvocationEndSignalOTLPTests {
    @Test("once an OTLP export arrived and runtimeDone is expected, an agent flush does not end the invocation; runtimeDone does")
    func otlpWaitsForRuntimeDone() async {
        let signal = InvocationEndSignal()
        signal.expectRuntimeDone()
        signal.otlpReceived()
        signal.begin(requestID: "r1")
        signal.agentFlushed()
        async let end = signal.wait()
        signal.runtimeDone(requestID: "r1", status: "success")
        #expect(await end == .runtimeDone(status: "success"))
        signal.finish()
        signal.agentFlushed() // between invocations: not kept for the next one either
        signal.begin(requestID: "r2")
        signal.deadlineReached(requestID: "r2")
        #expect(await signal.wait() == .deadlineReached)
    }

    @Test("without telemetry (no runtimeDone to wait for), an agent flush still ends it after OTLP")
    func withoutTelemetryFlushStillEnds() async {
        let signal = InvocationEndSignal()
        signal.otlpReceived()
        signal.begin(requestID: "r1")
        signal.agentFlushed()
        #expect(await signal.wait() == .agentFlushed)
    }

    @Test("telemetry but no OTLP: an agent flush ends the invocation as before")
    func classicAgentUnchanged() async {
        let signal = InvocationEndSignal()
        signal.expectRuntimeDone()
        signal.begin(requestID: "r1")
        signal.agentFlushed()
        #expect(await signal.wait() == .agentFlushed)
    }
}
