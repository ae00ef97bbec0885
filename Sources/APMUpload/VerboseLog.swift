import Transport

/// What `--verbose` prints on stderr, curl-style: `>` request, `<` response, `*` notes.
enum VerboseLog {
    static func request(_ request: HTTPRequest, note: String?) {
        var lines = ["> \(request.method) \(HeaderRedactor.redact(url: request.url))" + (note.map { "  (\($0))" } ?? "")]
        lines += HeaderRedactor.lines(request.headers).map { "> \($0)" }
        if !request.body.isEmpty { lines.append("> [\(request.body.count) bytes]") }
        StandardError.line(lines.joined(separator: "\n"))
    }

    static func response(_ response: HTTPResponse) {
        var lines = ["< \(response.status)"]
        lines += HeaderRedactor.lines(response.headers).map { "< \($0)" }
        lines.append("< [\(response.body.count) bytes]")
        lines.append("* " + timings(response.timings))
        if response.attempts > 1 {
            let waits = response.retryDelays.map { "\($0.milliseconds) ms" }.joined(separator: ", ")
            lines.append("* \(response.attempts) attempts, waited \(waits)")
        }
        StandardError.line(lines.joined(separator: "\n"))
    }

    /// curl's timings, each measured from the start of the attempt.
    static func timings(_ timings: HTTPTimings) -> String {
        let phases = [
            ("DNS", timings.nameLookup), ("connect", timings.connect), ("TLS", timings.tlsHandshake),
            ("first byte", timings.firstByte), ("total", timings.total),
        ]
        let figures = phases.map { "\($0.0) \(milliseconds($0.1))" }.joined(separator: ", ")
        return "timings from start: \(figures); \(timings.reusedConnection ? "reused connection" : "new connection")"
    }

    /// Milliseconds with three decimals (curl measures in microseconds).
    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let microseconds = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
        let fraction = String(microseconds % 1000)
        return "\(microseconds / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction) ms"
    }
}
