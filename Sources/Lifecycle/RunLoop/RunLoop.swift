import HTTPServer
import Logging
import Transport

/// The invocation run loop (docs/ARCHITECTURE.md, "Per invocation") as an explicit state machine:
///
///     waitingForEvent ──INVOKE──▶ invoked ──end──▶ flushing ──▶ waitingForEvent
///            │
///            └──SHUTDOWN──▶ shuttingDown ──▶ finished
///
/// `invoked` waits for the first of the agent's flush, runtimeDone, or the deadline − 200 ms.
/// `flushing` ships what is buffered (syncflush) or leaves it to the background (background).
struct RunLoop {
    enum State: CustomStringConvertible {
        case waitingForEvent
        case invoked(LambdaEvent.Invocation)
        case flushing(LambdaEvent.Invocation, InvocationEnd)
        case shuttingDown(LambdaEvent.Shutdown)
        case finished(exitCode: Int32)

        var description: String {
            switch self {
            case .waitingForEvent: "waitingForEvent"
            case .invoked(let invocation): "invoked(\(invocation.requestID))"
            case .flushing(let invocation, let end): "flushing(\(invocation.requestID), \(end))"
            case .shuttingDown(let shutdown): "shuttingDown(\(shutdown.reason))"
            case .finished(let code): "finished(\(code))"
            }
        }
    }

    /// How long before the function's deadline an invocation counts as ended and sends must stop.
    static let deadlineMarginMilliseconds: Int64 = 200
    /// Lambda gives external extensions 2000 ms at SHUTDOWN; leave room to exit.
    static let shutdownBudgetMilliseconds: Int64 = 1800
    /// How long SHUTDOWN waits for the last invocation's platform.report.
    static let lastReportWaitMilliseconds: Int64 = 100

    let identifier: String
    let api: ExtensionsAPIClient
    let forwarder: Forwarder
    let tracker: InvocationTracker
    let endSignal: InvocationEndSignal
    let strategy: SendStrategy
    let forwarderTimeout: Duration
    let expectsTelemetry: Bool
    /// Called once, before the first event is handled, where that event comes after a SnapStart
    /// restore; nil elsewhere.
    var afterRestore: (@Sendable () async -> Void)? = nil
    let logger: Logger

    /// Runs until SHUTDOWN or a failure of the Extensions API; returns the exit code.
    func run() async -> Int32 {
        var state = State.waitingForEvent
        var pendingRestore = afterRestore
        // `/event/next` as the last flush made it ready (and may have sent it).
        var preparedNext: PreparedRequest?
        while true {
            logger.trace("run loop", metadata: ["state": "\(state)"])
            switch state {
            case .waitingForEvent:
                state = await nextEvent(restored: pendingRestore, prepared: preparedNext)
                pendingRestore = nil
                preparedNext = nil
            case .invoked(let invocation):
                state = .flushing(invocation, await waitForEnd(of: invocation))
            case .flushing(let invocation, let end):
                preparedNext = await finish(invocation, end: end)
                state = .waitingForEvent
            case .shuttingDown(let shutdown):
                await shutDown(shutdown)
                state = .finished(exitCode: 0)
            case .finished(let exitCode):
                return exitCode
            }
        }
    }

    /// - Parameters:
    ///   - restored: what to do first when this event is the first after a restore.
    ///   - prepared: `/event/next` made ready by the flush (perhaps sent already), if any.
    private func nextEvent(restored: (@Sendable () async -> Void)?, prepared: PreparedRequest?) async -> State {
        do {
            let asked = Deadline.now
            let event = if let prepared { try await api.nextEvent(prepared) } else { try await api.nextEvent(identifier: identifier) }
            if let restored {
                // The snapshot was taken while this call waited: none of the wait counts toward a
                // deadline or a batch's age. (The function's init before the snapshot is in it too,
                // which is harmless: sends are held until now, so nothing could expire in it.)
                Deadline.excludeFrozenTime(milliseconds: UInt64(max(0, -asked.remainingMilliseconds)))
                await restored()
            }
            switch event {
            case .invoke(let invocation): return .invoked(invocation)
            case .shutdown(let shutdown): return .shuttingDown(shutdown)
            }
        } catch {
            logger.error("event/next failed: exiting", metadata: ["error": "\(error)"])
            await api.reportExitError(identifier: identifier, errorType: "Extension.NextEventFailed", message: "\(error)")
            await forwarder.flush(until: .after(milliseconds: Self.shutdownBudgetMilliseconds))
            return .finished(exitCode: 1)
        }
    }

    private func waitForEnd(of invocation: LambdaEvent.Invocation) async -> InvocationEnd {
        let now = WallClock.nowMilliseconds
        endSignal.begin(requestID: invocation.requestID)
        await tracker.invocationStarted(invocation, atMilliseconds: now)
        if strategy == .background {
            // What the previous invocation left is shipped now, while this one runs.
            await forwarder.ship(until: shipDeadline(for: invocation))
        }
        let timerDelay = invocation.deadlineMilliseconds - Self.deadlineMarginMilliseconds - now
        let timer = Task.inheritingExecutor { [endSignal] in
            if timerDelay > 0, (try? await EventLoopExecutor.sleep(for: .milliseconds(timerDelay))) == nil { return }
            endSignal.deadlineReached(requestID: invocation.requestID)
        }
        let end = await endSignal.wait()
        timer.cancel()
        logger.debug("invocation ended", metadata: ["request.id": "\(invocation.requestID)", "end": "\(end)"])
        return end
    }

    /// Ships the invocation's data (syncflush) and returns `/event/next` made ready for it: when
    /// the flush's last batch is accepted, the transport sends it at once, without a round trip
    /// through this loop (docs/ARCHITECTURE.md, "Per invocation").
    private func finish(_ invocation: LambdaEvent.Invocation, end: InvocationEnd) async -> PreparedRequest? {
        // Idle from here: `/event/next` may be out before the flush returns, and the next
        // invocation's agent flush right behind it.
        endSignal.finish()
        guard strategy == .syncFlush else { return nil }
        // Failing to prepare it is failing `/event/next`: left to `nextEvent`, which reports it.
        let next = try? api.prepareNextEvent(identifier: identifier)
        await forwarder.flush(until: shipDeadline(for: invocation), then: next)
        return next
    }

    /// Sends are bounded by the function's deadline less the margin, and by the forwarder timeout.
    private func shipDeadline(for invocation: LambdaEvent.Invocation) -> Deadline {
        let untilDeadline = invocation.deadlineMilliseconds - Self.deadlineMarginMilliseconds - WallClock.nowMilliseconds
        return .after(milliseconds: min(untilDeadline, forwarderTimeout.milliseconds))
    }

    private func shutDown(_ shutdown: LambdaEvent.Shutdown) async {
        let budget = min(Self.shutdownBudgetMilliseconds, shutdown.deadlineMilliseconds - WallClock.nowMilliseconds - 100)
        let deadline = Deadline.after(milliseconds: budget)
        logger.info("shutting down", metadata: ["reason": "\(shutdown.reason)", "budget.ms": "\(budget)"])
        if expectsTelemetry {
            await tracker.waitForReports(until: min(deadline, .after(milliseconds: Self.lastReportWaitMilliseconds)))
        }
        for proxy in await tracker.proxyTransactions(shutdownReason: shutdown.reason) {
            await forwarder.addExtensionEvent(proxy)
        }
        await forwarder.flush(until: deadline, lastChance: true)
        let statistics = await forwarder.statistics
        let held = await forwarder.eventsHeld
        let otlpHeld = await forwarder.otlpExportsHeld
        logger.info(
            "shut down",
            metadata: [
                "events.sent": "\(statistics.eventsSent)", "events.dropped": "\(statistics.eventsDropped)",
                "events.held": "\(held)", "agent.payloads.dropped": "\(statistics.agentPayloadsDropped)",
                "otlp.exports.sent": "\(statistics.otlpExportsSent)", "otlp.exports.dropped": "\(statistics.otlpExportsDropped)",
                "otlp.exports.held": "\(otlpHeld)",
            ])
    }
}
