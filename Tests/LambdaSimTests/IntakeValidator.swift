import Foundation

/// Runs `scripts/validate_intake.py` on an ndjson file: (exit status, what it printed).
enum IntakeValidator {
    static func validate(ndjson path: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "\(packageRoot)/scripts/validate_intake.py", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    static func temporaryPath(_ name: String) -> String {
        "\(FileManager.default.temporaryDirectory.path)/lambda-sim-test-\(UUID().uuidString.prefix(8))-\(name)"
    }
}
