import Foundation

/// A helper process that prints one line once it is ready and exits when its stdin closes, so it
/// never outlives the test. Reading that line is the synchronisation.
public final class LineProcess: Sendable {
    private let process: Process
    private let input: Pipe
    /// The first line it printed, without its newline (empty if it printed none).
    public let firstLine: String
    public var processIdentifier: Int32 { process.processIdentifier }

    public init(command: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        var line = Data()
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data([0x0A]) { break }
            line.append(byte)
        }
        self.process = process
        self.input = input
        self.firstLine = String(decoding: line, as: UTF8.self)
    }

    /// Closes its stdin and waits for it to exit.
    public func stop() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}

/// A `LineProcess` whose first line is the port it listens on.
final class LineServer: Sendable {
    private let child: LineProcess
    let port: Int

    init(command: [String]) throws {
        let child = try LineProcess(command: command)
        guard let port = Int(child.firstLine) else {
            child.stop()
            throw Subprocess.Failure(command: command, status: -1, output: "no port printed")
        }
        self.child = child
        self.port = port
    }

    func stop() {
        child.stop()
    }
}
