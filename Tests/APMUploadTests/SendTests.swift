import Foundation
import LambdaSim
import TestSupport
import Testing
import Transport

/// `apm-upload send`, the built binary, against the simulator's APM Server sink.
@Suite("apm-upload send")
struct SendTests {
    @Test func acceptedInputReachesTheServerGzippedWithItsCredentials() async throws {
        let path = try UploadCLI.file(Intake.mixed)
        try await UploadCLI.withSink { sink in
            let result = try await UploadCLI.run(["send", "--server", sink.url, "--api-key", "key-123", path])
            #expect(result.status == 0, "\(result.stderrText)")
            #expect(result.stdoutText.contains("accepted: 3 events in 1 batch"))
            let requests = sink.requests
            try #require(requests.count == 1)
            #expect(requests[0].path == "/intake/v2/events")
            #expect(requests[0].eventTypes == ["metadata", "transaction", "span", "error"])
            #expect(requests[0].events.joined(separator: "\n") + "\n" == Intake.mixed)
            #expect(requests[0].headers["content-encoding"] == "gzip")
            #expect(requests[0].headers["content-type"] == "application/x-ndjson")
            #expect(requests[0].headers["authorization"] == "ApiKey key-123")
            #expect(requests[0].headers["user-agent"]?.hasPrefix("apm-upload/") == true)
        }
    }

    @Test func serverAndSecretTokenComeFromTheExtensionsVariables() async throws {
        let path = try UploadCLI.file(Intake.ndjson(events: 2))
        try await UploadCLI.withSink { sink in
            let result = try await UploadCLI.run(
                ["send", path],
                environment: ["ELASTIC_APM_LAMBDA_APM_SERVER": sink.url + "/", "ELASTIC_APM_SECRET_TOKEN": "token-456"])
            #expect(result.status == 0, "\(result.stderrText)")
            #expect(sink.requests.map { $0.headers["authorization"] } == ["Bearer token-456"])
        }
    }

    @Test func refusalExitsOneAndPrintsTheServersErrors() async throws {
        let path = try UploadCLI.file(Intake.ndjson(events: 2))
        try await UploadCLI.withSink { sink in
            sink.setBehaviour(.failure(status: 401))
            let result = try await UploadCLI.run(["send", "--server", sink.url, "--secret-token", "wrong", path])
            #expect(result.status == 1)
            #expect(result.stderrText.contains("refused with 401"))
            #expect(result.stderrText.contains("errors:\n  - authentication failed: missing or invalid credentials"))
            #expect(sink.requests.count == 1)
        }
    }

    @Test func sendingStopsAtTheFirstRefusedBatch() async throws {
        let path = try UploadCLI.file(Intake.ndjson(events: 30))
        try await UploadCLI.withSink { sink in
            sink.setBehaviour(.failure(status: 400))
            let result = try await UploadCLI.run(["send", "--server", sink.url, "--batch-events", "10", path])
            #expect(result.status == 1)
            #expect(result.stderrText.contains("batch 1/3"))
            #expect(sink.requests.count == 1)
        }
    }

    @Test func overTLSTheServerIsTrustedThroughTheGivenCA() async throws {
        let fixture = try await Subprocess.onThread { try TLSFixture() }
        let path = try UploadCLI.file(Intake.ndjson(events: 3))
        let tls = SinkTLS(certificatePath: fixture.certificatePath(), privateKeyPath: fixture.privateKeyPath())
        try await UploadCLI.withSink(tls: tls) { sink in
            #expect(sink.url.hasPrefix("https://"))
            let withFile = try await UploadCLI.run(["send", "--server", sink.url, "--ca-file", fixture.caPath, path])
            #expect(withFile.status == 0, "\(withFile.stderrText)")
            let withPEM = try await UploadCLI.run(["send", "--server", sink.url, path], environment: [
                "ELASTIC_APM_LAMBDA_SERVER_CA_CERT_PEM": fixture.caPEM.replacing("\n", with: "\\n"),
            ])
            #expect(withPEM.status == 0, "\(withPEM.stderrText)")
            // A PEM as an argument starts with dashes: it is still the option's value.
            let withPEMArgument = try await UploadCLI.run(["send", "--server", sink.url, "--ca-pem", fixture.caPEM, path])
            #expect(withPEMArgument.status == 0, "\(withPEMArgument.stderrText)")

            let untrusted = try await UploadCLI.run(["send", "--server", sink.url, "--retries", "0", path])
            #expect(untrusted.status == 3)
            #expect(untrusted.stderrText.contains("TLS failure"))
            let insecure = try await UploadCLI.run(["send", "--server", sink.url, "--insecure", path])
            #expect(insecure.status == 0, "\(insecure.stderrText)")

            #expect(sink.requests.count == 4)
            #expect(sink.requests.allSatisfy { $0.eventTypes == ["metadata", "transaction", "transaction", "transaction"] })
        }
    }

    @Test func theFirstBadLineIsReportedWithItsNumberAndNothingIsSent() async throws {
        let lines = [Intake.metadata, Intake.transaction(1), "", #"{"transaction":{"id":"2"}"#, #"{"nope":{}}"#]
        let path = try UploadCLI.file(lines.joined(separator: "\n") + "\n")
        try await UploadCLI.withSink { sink in
            let result = try await UploadCLI.run(["send", "--server", sink.url, path])
            #expect(result.status == 2)
            #expect(result.stderrText.contains("\(path): line 4: not valid JSON"), "\(result.stderrText)")
            #expect(!result.stderrText.contains("line 5"))
            #expect(sink.requests.isEmpty)
        }
    }

    @Test func aFirstLineOtherThanMetadataIsRefused() async throws {
        let result = try await UploadCLI.run(["send", "--validate-only", "-"], stdin: Array((Intake.transaction(1) + "\n").utf8))
        #expect(result.status == 2)
        #expect(result.stderrText.contains("stdin: line 1: the first line must be metadata, not transaction"))
    }

    @Test func validateOnlySendsNothingAndNeedsNoServer() async throws {
        let path = try UploadCLI.file(Intake.mixed)
        let result = try await UploadCLI.run(["send", "--validate-only", path])
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stdoutText == "\(path): valid, 1 metadata and 3 events\n")
    }

    @Test(arguments: [false, true])
    func stdinInputPlainOrGzipped(gzipped: Bool) async throws {
        var input = Array(Intake.mixed.utf8)
        if gzipped {
            var stream = try GzipStream(level: 6)
            try stream.write(input)
            try stream.finish()
            input = stream.output
        }
        try await UploadCLI.withSink { sink in
            let result = try await UploadCLI.run(["send", "--server", sink.url, "-"], stdin: input)
            #expect(result.status == 0, "\(result.stderrText)")
            #expect(sink.requests.map(\.eventTypes) == [["metadata", "transaction", "span", "error"]])
        }
    }

    @Test func aGzippedFileIsRecognisedByItsMagicBytesNotItsName() async throws {
        let directory = try Subprocess.temporaryDirectory()
        let path = directory + "/events.ndjson"
        try Intake.mixed.write(toFile: path, atomically: true, encoding: .utf8)
        try await Subprocess.onThread { try Subprocess.run(["gzip", "-n", path]) }
        try FileManager.default.moveItem(atPath: path + ".gz", toPath: path)
        try await UploadCLI.withSink { sink in
            let result = try await UploadCLI.run(["send", "--server", sink.url, path])
            #expect(result.status == 0, "\(result.stderrText)")
            #expect(sink.requests.first?.events.count == 4)
        }
    }

    @Test func aLargeInputIsSplitIntoBatchesThatEachStartWithTheMetadata() async throws {
        // Over 1 MiB: 1234 events of about 1 KiB, in batches of the default 500 events.
        let path = try UploadCLI.file(Intake.ndjson(events: 1234, eventSize: 1000))
        try #expect(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0 > 1 << 20)
        try await UploadCLI.withSink { sink in
            let result = try await UploadCLI.run(["send", "--server", sink.url, path])
            #expect(result.status == 0, "\(result.stderrText)")
            #expect(result.stdoutText.contains("accepted: 1234 events in 3 batches"))
            // stderr is not a terminal here: no progress line.
            #expect(result.stderrText.isEmpty)
            let requests = sink.requests
            #expect(requests.map { $0.events.count } == [501, 501, 235])
            #expect(requests.allSatisfy { $0.events.first == Intake.metadata })
            let ids = requests.flatMap { $0.events.dropFirst() }
            #expect(ids == (0..<1234).map { Intake.transaction($0, size: 1000) })
        }
    }

    @Test func batchesAreAlsoBoundedByBytes() async throws {
        // 20 events of about 1000 bytes, at most 3500 bytes a batch: the metadata and 3 events each.
        let path = try UploadCLI.file(Intake.ndjson(events: 20, eventSize: 1000))
        try await UploadCLI.withSink { sink in
            let result = try await UploadCLI.run(["send", "--server", sink.url, "--batch-bytes", "3500", path])
            #expect(result.status == 0, "\(result.stderrText)")
            #expect(sink.requests.map { $0.events.count } == [4, 4, 4, 4, 4, 4, 3])
            #expect(sink.requests.allSatisfy { $0.eventTypes.first == "metadata" })
        }
    }

    @Test func aLaterMetadataLineAppliesToTheEventsAfterIt() async throws {
        let other = #"{"metadata":{"service":{"name":"other","agent":{"name":"go","version":"2.0.0"}}}}"#
        let text = [Intake.metadata, Intake.transaction(1), Intake.transaction(2), other, Intake.transaction(3)]
            .joined(separator: "\n")
        let path = try UploadCLI.file(text)
        try await UploadCLI.withSink { sink in
            let result = try await UploadCLI.run(["send", "--server", sink.url, path])
            #expect(result.status == 0, "\(result.stderrText)")
            #expect(sink.requests.map(\.events) == [
                [Intake.metadata, Intake.transaction(1), Intake.transaction(2)], [other, Intake.transaction(3)],
            ])
        }
    }

    @Test func severalFilesAreSentInOrderEachWithItsOwnBatches() async throws {
        let first = try UploadCLI.file(Intake.ndjson(events: 2))
        let second = try UploadCLI.file(Intake.mixed)
        try await UploadCLI.withSink { sink in
            let result = try await UploadCLI.run(["send", "--server", sink.url, first, second])
            #expect(result.status == 0, "\(result.stderrText)")
            #expect(sink.requests.map(\.eventTypes) == [
                ["metadata", "transaction", "transaction"], ["metadata", "transaction", "span", "error"],
            ])
        }
    }

    @Test func noAnswerIsANetworkError() async throws {
        let path = try UploadCLI.file(Intake.ndjson(events: 1))
        try await UploadCLI.withSink { sink in
            sink.setBehaviour(.reset)
            let reset = try await UploadCLI.run(["send", "--server", sink.url, "--retries", "1", path])
            #expect(reset.status == 3)
            #expect(reset.stderrText.contains("no answer from \(sink.url)/intake/v2/events"))
            #expect(sink.requests.count == 2, "one retry: \(reset.stderrText)")

            sink.setBehaviour(.hang)
            let hang = try await UploadCLI.run(["send", "--server", sink.url, "--retries", "0", "--timeout", "300ms", path])
            #expect(hang.status == 3)
            #expect(hang.stderrText.contains("timeout"))
        }
        let refused = try await UploadCLI.run(["send", "--server", "http://127.0.0.1:1", "--retries", "0", path])
        #expect(refused.status == 3)
    }

    @Test(arguments: [
        ["send", "--server", "http://127.0.0.1:1", "--bogus"],
        ["send", "--batch-events", "0", "--validate-only"],
        ["send", "--server", "ftp://example.com", "/dev/null"],
        ["send", "/nonexistent/input.ndjson", "--validate-only"],
        ["send", "-", "-", "--validate-only"],
        ["send", "/dev/null"],
        ["send", "--timeout", "abc", "--validate-only"],
        ["send", "--retries", "11", "--validate-only"],
        ["info", "--server", "https://127.0.0.1:1", "--ca-pem", "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----"],
        ["info", "--server", "https://127.0.0.1:1", "--ca-file", "/nonexistent/ca.pem"],
    ])
    func usageErrorsExitTwo(arguments: [String]) async throws {
        let result = try await UploadCLI.run(arguments, stdin: [])
        #expect(result.status == 2, "\(result.stderrText)")
        #expect(!result.stderrText.isEmpty)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs script(1) for a terminal"))
    func aLargeUploadShowsProgressOnATerminal() async throws {
        let path = try UploadCLI.file(Intake.ndjson(events: 1500, eventSize: 1000))
        try await UploadCLI.withSink { sink in
            // script(1) runs the command with a pseudo-terminal as its stdout and stderr.
            let command = try [BuiltProduct.path(of: "apm-upload"), "send", "--server", sink.url, path]
                .map { "'" + $0.replacing("'", with: "'\\''") + "'" }.joined(separator: " ")
            let result = try await Subprocess.launch("/usr/bin/script", ["-qec", command, "/dev/null"])
            #expect(result.status == 0, "\(result.stdoutText)")
            let terminal = result.stdoutText
            #expect(terminal.contains("sent batch 1/3, "))
            #expect(terminal.contains("sent batch 3/3, 1.4 MiB of 1.4 MiB (100%)"))
            #expect(terminal.contains("accepted: 1500 events in 3 batches"))
            #expect(sink.requests.count == 3)
        }
    }
}
