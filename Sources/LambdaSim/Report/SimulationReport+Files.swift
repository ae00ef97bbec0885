import Foundation

extension SimulationReport {
    /// The whole report as JSON (figures and per-invocation data), for benchmarks.
    public func writeJSON(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            var data = try encoder.encode(self)
            data.append(contentsOf: Array("\n".utf8))
            try data.write(to: URL(fileURLWithPath: path))
        } catch {
            throw SimulatorError(.writeFailed, "cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// Every intake body the sink received, line by line (each body starts with its metadata
    /// line), which `scripts/validate_intake.py` checks against the intake v2 schemas.
    public func writeSinkEvents(toNDJSON path: String) throws {
        try Self.writeNDJSON(sinkRequests.filter { $0.path.hasPrefix("/intake/v2/events") }.map(\.events), to: path)
    }

    /// Every OTLP export the sink received and read, one JSON object a line: `path`, `invocation`
    /// (null at init and shutdown), `status`, `authorization`, `body` (the inflated protobuf,
    /// base64), which `scripts/otlp_decode.py` decodes.
    public func writeOTLPExports(toJSONLines path: String) throws {
        var lines: [String] = []
        for request in sinkRequests where request.isOTLP {
            guard let body = request.otlpBody else { continue }
            var object: [String: Any] = [
                "path": request.path, "body": body, "invocation": request.invocation.map { $0 as Any } ?? NSNull(),
                "status": request.status.map { $0 as Any } ?? NSNull(),
                "authorization": request.headers["authorization"] ?? NSNull(),
            ]
            object["at_ms"] = request.atMs
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            lines.append(String(decoding: data, as: UTF8.self))
        }
        try Self.writeNDJSON([lines], to: path)
    }

    static func writeNDJSON(_ bodies: [[String]], to path: String) throws {
        let text = bodies.flatMap { $0 }.map { $0 + "\n" }.joined()
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        } catch {
            throw SimulatorError(.writeFailed, "cannot write \(path): \(error.localizedDescription)")
        }
    }
}
