import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// The extension binary running as a child process of the simulator, its stdout and stderr going to a log file.
final class ExtensionChildProcess: Sendable {
    /// Foundation's `Process` is not `Sendable`; it is only touched under this lock.
    private struct Box: @unchecked Sendable { let process: Process }

    private let box: NIOLockedValueBox<Box>
    let pid: Int32
    /// Its exit status, or the negated number of the signal that ended it.
    let exited: OneShotEvent<Int32>
    private let peakRSS = NIOLockedValueBox<Int?>(nil)

    private init(process: Process, exited: OneShotEvent<Int32>) {
        box = NIOLockedValueBox(Box(process: process))
        pid = process.processIdentifier
        self.exited = exited
    }

    /// Starts the binary with exactly `environment` (Lambda's environment is not the host's).
    static func launch(path: String, environment: [String: String], logPath: String) throws -> ExtensionChildProcess {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw SimulatorError(.launchFailed, "\(path) is not an executable file")
        }
        guard FileManager.default.createFile(atPath: logPath, contents: nil),
            let log = FileHandle(forWritingAtPath: logPath)
        else {
            throw SimulatorError(.launchFailed, "cannot write the extension log \(logPath)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = []
        process.environment = environment
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        let exited = OneShotEvent<Int32>()
        process.terminationHandler = { process in
            let signalled = process.terminationReason == .uncaughtSignal
            exited.fire(signalled ? -process.terminationStatus : process.terminationStatus)
            try? log.close()
        }
        do {
            try process.run()
        } catch {
            throw SimulatorError(.launchFailed, "cannot start \(path): \(error.localizedDescription)")
        }
        return ExtensionChildProcess(process: process, exited: exited)
    }

    /// Sends `signal` while the process runs (SIGSTOP and SIGCONT play a SnapStart snapshot).
    func signal(_ signal: Int32) {
        guard exited.value == nil else { return }
        _ = Glibc.kill(pid, signal)
    }

    /// SIGKILL, as Lambda does to an extension that overruns its shutdown budget.
    func kill() {
        guard exited.value == nil else { return }
        _ = Glibc.kill(pid, SIGKILL)
    }

    /// Reads `VmHWM` (the peak resident set) now and keeps the largest figure seen; the kernel
    /// drops it when the process exits, so it is sampled while the process runs.
    @discardableResult
    func samplePeakRSS() -> Int? {
        if let reading = Self.readVmHWM(pid: pid) {
            peakRSS.withLockedValue { $0 = max($0 ?? 0, reading) }
        }
        return peakRSS.withLockedValue { $0 }
    }

    var peakRSSKB: Int? { peakRSS.withLockedValue { $0 } }

    static func readVmHWM(pid: Int32) -> Int? {
        readStatus(pid: pid, field: "VmHWM")
    }

    /// A `kB` field of `/proc/<pid>/status`.
    static func readStatus(pid: Int32, field: String) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.dropFirst(field.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
        }
        return nil
    }

    /// Resident set, its peak, and open descriptors now; nil once the process is gone.
    func sampleResources(afterInvocations invocations: Int) -> ResourceSample? {
        guard let resident = Self.readStatus(pid: pid, field: "VmRSS"), let peak = samplePeakRSS(),
            let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")
        else { return nil }
        return ResourceSample(
            invocations: invocations, residentKB: resident, peakResidentKB: peak, openFileDescriptors: descriptors.count,
            cpuMilliseconds: Self.readCPUMilliseconds(pid: pid))
    }

    /// CPU used so far: utime + stime of `/proc/<pid>/stat`, which counts threads that have exited
    /// but only in clock ticks (10 ms), or, when larger, the run time of its live threads from
    /// `/proc/<pid>/task/*/schedstat`, in nanoseconds: exact unless a thread has exited.
    static func readCPUMilliseconds(pid: Int32) -> Double? {
        guard let ticks = readStatCPUMilliseconds(pid: pid) else { return nil }
        return max(ticks, readThreadsRunMilliseconds(pid: pid) ?? 0)
    }

    /// The first field of each thread's `schedstat` (time on a CPU, ns), summed.
    static func readThreadsRunMilliseconds(pid: Int32) -> Double? {
        guard let threads = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return nil }
        var nanoseconds = 0.0
        for thread in threads {
            guard let schedstat = try? String(contentsOfFile: "/proc/\(pid)/task/\(thread)/schedstat", encoding: .utf8),
                let run = schedstat.split(separator: " ").first.flatMap({ Double($0) })
            else { return nil }
            nanoseconds += run
        }
        return nanoseconds / 1_000_000
    }

    /// utime + stime of `/proc/<pid>/stat` (fields 14 and 15, after the parenthesised command name).
    static func readStatCPUMilliseconds(pid: Int32) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is the state (field 3), so utime (14) and stime (15) are fields[11] and fields[12].
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        return (user + system) * 1000 / ticksPerSecond
    }
}
