import Foundation

/// Runs `scripts/validate_intake.py` (the intake v2 JSON schemas vendored in `spec/apm-intake-v2`) on an ndjson file.
public enum IntakeValidator {
    /// The validator's exit status (0: every line valid) and what it printed.
    public static func validate(ndjson path: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Subprocess.repositoryRoot + "/scripts/validate_intake.py", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    /// A fresh path in the temporary directory, named after `name`.
    public static func temporaryPath(_ name: String) -> String {
        "\(FileManager.default.temporaryDirectory.path)/eapm-test-\(UUID().uuidString.prefix(8))-\(name)"
    }
}
