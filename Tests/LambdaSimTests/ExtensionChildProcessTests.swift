@testable import LambdaSim
import Testing
import TestSupport

@Suite("Extension child process figures")
struct ExtensionChildProcessTests {
    /// A child spends ~30 ms of CPU, prints what its own CPU clock says it has spent, and waits on
    /// its input: what lambda-sim reads of it must not be below that, and must be finer than the
    /// 10 ms clock ticks of `/proc/<pid>/stat` (which would read 30 ms for 30-39 ms).
    @Test("a child's CPU is read to below a clock tick, and not below what the child counts itself")
    func cpuIsReadFinerThanTicks() throws {
        let child = try LineProcess(command: [
            "python3", "-c",
            """
            import sys, time
            start = time.process_time()
            while time.process_time() - start < 0.03:
                pass
            print(time.process_time() * 1000, flush=True)
            sys.stdin.read()
            """,
        ])
        defer { child.stop() }
        let counted = try #require(Double(child.firstLine))

        let read = try #require(ExtensionChildProcess.readCPUMilliseconds(pid: child.processIdentifier))
        let ticks = try #require(ExtensionChildProcess.readStatCPUMilliseconds(pid: child.processIdentifier))
        #expect(read >= counted)
        #expect(read >= ticks)
        #expect(read.truncatingRemainder(dividingBy: 10) != 0, "\(read) ms is a whole number of clock ticks")
    }
}
