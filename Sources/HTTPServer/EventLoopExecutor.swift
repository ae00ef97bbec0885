public import NIOCore

/// Runs the jobs of the tasks that prefer it on one event loop's thread, the thread that also does
/// that loop's I/O. A task serving a connection on that loop then reads, handles and answers
/// without a thread switch; on Swift's global pool each of those steps crossed threads, which on
/// one or two cores costs more than the work itself. The extension runs its whole task tree this
/// way (`ExtensionProcess.runOnCurrentThread`).
public final class EventLoopExecutor: TaskExecutor {
    public let eventLoop: any EventLoop

    public init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

extension Task where Failure == Never {
    /// An unstructured task that prefers the executor the current task prefers. `Task {}` alone
    /// does not inherit that preference (child tasks do): under `EventLoopExecutor` it would run
    /// on Swift's global pool, starting its threads. Outside any task, or without a preference,
    /// it is `Task {}`.
    @discardableResult
    public static func inheritingExecutor(_ operation: sending @escaping () async -> Success) -> Task<Success, Never> {
        Task(executorPreference: preferredTaskExecutor, operation: operation)
    }
}

/// The executor the current task prefers; nil outside a task or without a preference.
var preferredTaskExecutor: (any TaskExecutor)? {
    guard #available(macOS 26.4, *) else { return nil }
    return withUnsafeCurrentTask { $0?.unownedTaskExecutor?.asTaskExecutor() }
}

extension EventLoopExecutor {
    /// `Task.sleep(for:)` on the timers of the event loop the current task prefers (as its
    /// `EventLoopExecutor`): such a timer lives in the loop and is cancelled for real. Swift's
    /// own timers are Dispatch's, whose threads wake to arm each one and again when it falls due,
    /// even if its sleep was cancelled long before (the run loop arms one per invocation). Without
    /// that preference it is `Task.sleep(for:)`.
    /// - Throws: `CancellationError` if the task is or gets cancelled.
    public static func sleep(for duration: Duration) async throws(CancellationError) {
        guard let loop = (preferredTaskExecutor as? EventLoopExecutor)?.eventLoop else {
            do { try await Task.sleep(for: duration) } catch { throw CancellationError() }
            return
        }
        let timer = loop.scheduleTask(in: TimeAmount(duration)) {}
        do {
            try await withTaskCancellationHandler {
                try await timer.futureResult.get()
            } onCancel: {
                timer.cancel()
            }
        } catch {
            throw CancellationError()
        }
    }
}
