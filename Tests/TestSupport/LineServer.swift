import Foundation

/// A helper server process that prints its port on its first line once it listens and exits
/// when its stdin closes, so it never outlives the test. Reading that line is the synchronisation.
final class LineServer: Sendable {
    private let process: Process
    private let input: Pipe
    let port: Int

    init(command: [String]) throws {
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
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
            throw Subprocess.Failure(command: command, status: -1, output: "no port printed")
        }
        self.process = process
        self.input = input
        self.port = port
    }

    func stop() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}
