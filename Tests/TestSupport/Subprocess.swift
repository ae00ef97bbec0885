import Dispatch
public import Foundation

/// Runs external programs for tests (openssl, gzip, python3, the package's own executables) and
/// reads what they print.
public enum Subprocess {
    public struct Failure: Error, CustomStringConvertible {
        public let command: [String]
        public let status: Int32
        public let output: String
        public var description: String { "\(command.joined(separator: " ")) exited \(status): \(output)" }

        public init(command: [String], status: Int32, output: String) {
            self.command = command
            self.status = status
            self.output = output
        }
    }

    /// What a finished program left: its exit status and everything it printed.
    public struct Output: Sendable {
        public let status: Int32
        public let stdout: [UInt8]
        public let stderr: [UInt8]
        /// Whether the program ran past its time limit and was killed.
        public let timedOut: Bool

        public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
        public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    }

    /// Runs to completion, stdin from `inputFile` if given; returns stdout. Throws on non-zero exit.
    /// (stderr is read after stdout: fine for the small amounts these tools print there.)
    @discardableResult
    public static func run(_ command: [String], inputFile: String? = nil) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        if let inputFile { process.standardInput = FileHandle(forReadingAtPath: inputFile) }
        let errors = Pipe()
        process.standardError = errors
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(command: command, status: process.terminationStatus, output: errorText)
        }
        return data
    }

    /// Runs `executable` to completion without blocking Swift's cooperative threads (an
    /// in-process server the program talks to needs them), feeding it `stdin` (none: an empty
    /// stdin) and collecting stdout and stderr whole. The environment is only `environment` and
    /// `PATH`, so a developer's variables never leak into a test. Killed after `timeLimit`.
    public static func launch(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], stdin: [UInt8]? = nil,
        timeLimit: Duration = .seconds(120)
    ) async throws -> Output {
        try await onThread {
            try runBlocking(executable, arguments, environment: environment, stdin: stdin, timeLimit: timeLimit)
        }
    }

    /// Runs blocking work (waiting for a program, reading its pipes, `openssl` in a fixture) on a
    /// thread of its own. Not on Dispatch's global queues either: on Linux the concurrency runtime
    /// schedules its jobs there too, so blocked workers would starve in-process servers.
    @discardableResult
    public static func onThread<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            startThread { continuation.resume(with: Swift.Result { try body() }) }
        }
    }

    private static func startThread(_ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.stackSize = 1 << 20
        thread.start()
    }

    private static func runBlocking(
        _ executable: String, _ arguments: [String], environment: [String: String], stdin: [UInt8]?, timeLimit: Duration
    ) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var fullEnvironment = environment
        fullEnvironment["PATH"] = fullEnvironment["PATH"] ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        // Sanitized builds (make test-asan / test-tsan): the child reports as the runner was told to.
        for name in ["ASAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"] where fullEnvironment[name] == nil {
            fullEnvironment[name] = ProcessInfo.processInfo.environment[name]
        }
        process.environment = fullEnvironment
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()

        // Each stream on its own thread: a program blocked writing one pipe never deadlocks us.
        let collected = Collected()
        let helpers = DispatchGroup()
        helpers.enter()
        startThread {
            if let stdin { try? input.fileHandleForWriting.write(contentsOf: stdin) }
            try? input.fileHandleForWriting.close()
            helpers.leave()
        }
        helpers.enter()
        startThread {
            collected.setStderr(Array(errors.fileHandleForReading.readDataToEndOfFile()))
            helpers.leave()
        }
        let killer = DispatchWorkItem {
            guard process.isRunning else { return }
            collected.markTimedOut()
            process.terminate()
        }
        let (seconds, attoseconds) = timeLimit.components
        DispatchQueue.global().asyncAfter(
            deadline: .now() + .milliseconds(Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)), execute: killer)
        let stdout = Array(output.fileHandleForReading.readDataToEndOfFile())
        helpers.wait()
        process.waitUntilExit()
        killer.cancel()
        return Output(status: process.terminationStatus, stdout: stdout, stderr: collected.stderr, timedOut: collected.timedOut)
    }

    /// A fresh temporary directory.
    public static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "eapm-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The repository's root, found from this file's place in it (`Tests/TestSupport/`).
    public static var repositoryRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }
}

/// What the reader threads of one run hand back.
private final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var stderrBytes: [UInt8] = []
    private var didTimeOut = false

    var stderr: [UInt8] { lock.withLock { stderrBytes } }
    var timedOut: Bool { lock.withLock { didTimeOut } }

    func setStderr(_ bytes: [UInt8]) { lock.withLock { stderrBytes = bytes } }
    func markTimedOut() { lock.withLock { didTimeOut = true } }
}
