import LambdaSim
import TestSupport
import Testing

/// `apm-upload info` and `--verbose`, the built binary against the sink.
@Suite("apm-upload info and --verbose")
struct InfoTests {
    @Test func printsTheServersAnswerToGetSlash() async throws {
        try await UploadCLI.withSink { sink in
            let result = try await UploadCLI.run(["info", "--server", sink.url])
            #expect(result.status == 0, "\(result.stderrText)")
            #expect(result.stdoutText.contains(#""version":"8.15.0""#))
            #expect(result.stderrText.isEmpty)
            #expect(sink.requests.map(\.method) == ["GET"])
            #expect(sink.requests.first?.path == "/")
        }
    }

    @Test func verboseShowsHeadersWithCredentialsRedactedAndTimings() async throws {
        try await UploadCLI.withSink { sink in
            let result = try await UploadCLI.run(["info", "--verbose", "--server", sink.url, "--api-key", "very-secret-key"])
            #expect(result.status == 0, "\(result.stderrText)")
            let log = result.stderrText
            #expect(log.contains("> GET \(sink.url)/"))
            #expect(log.contains("> Authorization: ApiKey [redacted]"))
            #expect(log.contains("> User-Agent: apm-upload/"))
            #expect(log.contains("< 200"))
            #expect(log.contains("< content-type: application/json") || log.contains("< Content-Type: application/json"))
            #expect(log.contains("* timings from start: DNS "))
            for phase in ["connect", "TLS", "first byte", "total"] { #expect(log.contains(", \(phase) ")) }
            #expect(log.contains("; new connection"))
            #expect(!log.contains("very-secret-key"), "the key must never be printed")
            // The server really got it.
            #expect(sink.requests.first?.headers["authorization"] == "ApiKey very-secret-key")
        }
    }

    @Test func verboseSendShowsTheKeptAliveConnectionBeingReused() async throws {
        let path = try UploadCLI.file(Intake.ndjson(events: 4))
        try await UploadCLI.withSink { sink in
            let result = try await UploadCLI.run([
                "send", "-v", "--server", sink.url, "--secret-token", "token-789", "--batch-events", "2", path,
            ])
            #expect(result.status == 0, "\(result.stderrText)")
            let log = result.stderrText
            #expect(log.contains("> POST \(sink.url)/intake/v2/events  (batch 1/2: "))
            #expect(log.contains("> Authorization: Bearer [redacted]"))
            #expect(log.contains("> Content-Encoding: gzip"))
            #expect(log.components(separatedBy: "; new connection").count == 2)
            #expect(log.components(separatedBy: "; reused connection").count == 2)
            #expect(!log.contains("token-789"))
        }
    }

    @Test func aRefusedInfoExitsOne() async throws {
        try await UploadCLI.withSink { sink in
            sink.setBehaviour(.failure(status: 403))
            let result = try await UploadCLI.run(["info", "--server", sink.url])
            #expect(result.status == 1)
            #expect(result.stderrText.contains("GET / refused with 403"))
            #expect(result.stderrText.contains("errors:\n  - "))
        }
    }

    @Test func anUnreachableServerExitsThree() async throws {
        let result = try await UploadCLI.run(["info", "--server", "http://127.0.0.1:1", "--retries", "0"])
        #expect(result.status == 3)
        #expect(result.stderrText.contains("no answer from http://127.0.0.1:1/"))
    }
}
