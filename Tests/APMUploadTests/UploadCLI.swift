import Foundation
import LambdaSim
import TestSupport

/// The built `apm-upload`, run as a user runs it, against sinks these tests start in-process.
enum UploadCLI {
    static func run(
        _ arguments: [String], environment: [String: String] = [:], stdin: [UInt8]? = nil
    ) async throws -> Subprocess.Output {
        try await Subprocess.launch(try BuiltProduct.path(of: "apm-upload"), arguments, environment: environment, stdin: stdin)
    }

    /// Runs `body` with a fresh sink (HTTPS when `tls` is given) and stops it afterwards.
    static func withSink<Result>(
        tls: SinkTLS? = nil, _ body: (APMServerSink) async throws -> Result
    ) async throws -> Result {
        let sink = try await APMServerSink.start(tls: tls)
        do {
            let result = try await body(sink)
            await sink.stop()
            return result
        } catch {
            await sink.stop()
            throw error
        }
    }

    /// Writes `text` to a fresh temporary file and returns its path.
    static func file(_ text: String, name: String = "input.ndjson") throws -> String {
        try file(Array(text.utf8), name: name)
    }

    static func file(_ bytes: [UInt8], name: String) throws -> String {
        let path = try Subprocess.temporaryDirectory() + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}
