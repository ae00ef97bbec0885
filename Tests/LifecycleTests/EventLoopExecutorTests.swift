import HTTPServer
import NIOCore
import NIOPosix
import Testing

/// The extension runs every task on its event loop's thread (`ExtensionProcess.runOnCurrentThread`):
/// what keeps the tasks there, and the loop's timers.
@Suite("Tasks on an event loop")
struct EventLoopExecutorTests {
    @Test("a task preferring the loop, its children and its inheriting unstructured tasks run on the loop's thread; a plain Task does not")
    func tasksStayOnTheLoop() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let onLoop = await Task(executorPreference: EventLoopExecutor(loop)) { () -> [Bool] in
            var seen = [loop.inEventLoop]
            async let child = loop.inEventLoop
            seen.append(await child)
            seen.append(await Task.inheritingExecutor { loop.inEventLoop }.value)
            // Still there after a sleep on the loop's timers.
            try? await EventLoopExecutor.sleep(for: .milliseconds(1))
            seen.append(loop.inEventLoop)
            // `Task {}` does not inherit the preference: the reason for `inheritingExecutor`.
            seen.append(await Task { loop.inEventLoop }.value)
            return seen
        }.value
        #expect(onLoop == [true, true, true, true, false])
        try await group.shutdownGracefully()
    }

    // A sleep whose cancellation did nothing would end normally, after its 30 s.
    @Test("a sleep on the loop ends with CancellationError when its task is cancelled")
    func cancelledSleepEnds() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let started = AsyncStream<Void>.makeStream()
        let sleeper = Task(executorPreference: EventLoopExecutor(group.next())) { () -> (any Error)? in
            started.continuation.yield()
            do {
                try await EventLoopExecutor.sleep(for: .seconds(30))
                return nil
            } catch {
                return error
            }
        }
        for await _ in started.stream { break }
        sleeper.cancel()
        #expect(await sleeper.value is CancellationError)
        try await group.shutdownGracefully()
    }

    @Test("without a loop to prefer, the sleep is Task.sleep and ends with CancellationError when cancelled too")
    func sleepWithoutLoop() async {
        try? await EventLoopExecutor.sleep(for: .milliseconds(1))
        let sleeper = Task { () -> (any Error)? in
            do {
                try await EventLoopExecutor.sleep(for: .seconds(30))
                return nil
            } catch {
                return error
            }
        }
        sleeper.cancel()
        #expect(await sleeper.value is CancellationError)
    }
}
