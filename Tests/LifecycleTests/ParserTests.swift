import HTTPServer
import Logging
@testable import Lifecycle
import Testing
import Transport

@Suite("Parsers of untrusted input")
struct ParserTests {
    @Test("an intake payload keeps metadata apart and counts events and transaction ids")
    func intakePayload() throws {
        let body = Array("""
            {"metadata":{"service":{"name":"s","agent":{"name":"nodejs","version":"4"}}}}
            {"transaction":{"id":"t1","trace_id":"x","type":"request","duration":1,"span_count":{"started":0}}}\r

            {"span":{"id":"s1"}}

            """.utf8)
        let payload = try IntakePayload(ndjson: body)
        #expect(String(decoding: payload.metadata, as: UTF8.self).hasPrefix(#"{"metadata":"#))
        #expect(payload.eventCount == 2)
        #expect(payload.transactionIDs == ["t1"])
        #expect(String(decoding: payload.events, as: UTF8.self).split(separator: "\n").count == 2)
    }

    @Test(
        "malformed intake payloads are refused with the line and why",
        arguments: [
            ("", 1), ("{\"span\":{}}", 1), ("{\"metadata\":{}}\n{\"span\":{}", 2), ("{\"metadata\":{}}\n{\"bogus\":{}}", 2),
            ("{\"metadata\":{}}\n{\"span\":{},\"error\":{}}", 2), ("{\"metadata\":{}}\n[1]", 2), ("{\"metadata\":1}", 1),
            ("{\"metadata\":{}}\n{\"span\":\"x\"}", 2), ("\n\n{\"metadata\":{}}\nnot json", 4),
        ])
    func malformedIntake(text: String, line: Int) {
        let failure = #expect(throws: IntakePayload.Failure.self) { try IntakePayload(ndjson: Array(text.utf8)) }
        #expect(failure?.line == line)
    }

    @Test("a metadata line taken before is taken again without a check; any other first line is checked")
    func checkedMetadata() throws {
        let metadata = #"{"metadata":{"service":{"name":"s","agent":{"name":"nodejs","version":"4"}}}}"#
        let events = #"{"transaction":{"id":"t1","type":"request"}}"# + "\n"
        let checked = Array(metadata.utf8)
        let body = Array((metadata + "\n" + events).utf8)
        #expect(try IntakePayload(ndjson: body, checkedMetadata: checked) == IntakePayload(ndjson: body))
        // Not checked again: bytes given as checked pass as they are, whatever they hold.
        let notJSON = Array("not json".utf8)
        #expect(try IntakePayload(ndjson: Array(("not json\n" + events).utf8), checkedMetadata: notJSON).metadata == notJSON)
        // A line that differs from them (here by its last byte) is checked.
        let truncated = String(metadata.dropLast())
        let failure = #expect(throws: IntakePayload.Failure.self) {
            try IntakePayload(ndjson: Array((truncated + "\n" + events).utf8), checkedMetadata: checked)
        }
        #expect(failure?.line == 1)
        // Only a first line: the same bytes later are an event line, refused as one.
        #expect(throws: IntakePayload.Failure.self) {
            try IntakePayload(ndjson: Array((metadata + "\n" + metadata + "\n").utf8), checkedMetadata: checked)
        }
        // A registration the same way.
        let registration = try TransactionRegistration(ndjson: body, checkedMetadata: checked)
        #expect(registration == (try TransactionRegistration(ndjson: body)) && registration.transaction.id == "t1")
        #expect(throws: TransactionRegistration.Failure.self) {
            try TransactionRegistration(ndjson: Array((truncated + "\n" + events).utf8), checkedMetadata: checked)
        }
    }

    @Test("telemetry batches of both APIs parse; malformed ones are refused")
    func telemetryBatches() throws {
        let batch = Array(#"""
            [{"time":"2026-11-30T19:41:04.123Z","type":"platform.start","record":{"requestId":"r1","version":"$LATEST"}},
             {"time":"2026-11-30T19:41:04.200Z","type":"function","record":"hello\n"},
             {"time":"2026-11-30T19:41:04.201Z","type":"function","record":{"message":"json","level":"INFO"}},
             {"time":"2026-11-30T19:41:04.300Z","type":"platform.runtimeDone","record":{"requestId":"r1","status":"timeout"}},
             {"time":"2026-11-30T19:41:04.400Z","type":"platform.report","record":{"requestId":"r1","metrics":{"durationMs":1.5,"billedDurationMs":2,"memorySizeMB":128,"maxMemoryUsedMB":64}}},
             {"time":"2026-11-30T19:41:04.500Z","type":"platform.initStart","record":{}}]
            """#.utf8)
        let events = try TelemetryEvent.parseBatch(batch)
        #expect(events.count == 6)
        #expect(events[0] == .start(requestID: "r1"))
        #expect(events[3] == .runtimeDone(requestID: "r1", status: "timeout", timeMicroseconds: 1_796_067_664_300_000))
        guard case .report(let report) = events[4] else {
            Issue.record("expected a report")
            return
        }
        #expect(report.billedDurationMilliseconds == 2 && report.initDurationMilliseconds == nil)
        #expect(events[5] == .other(type: "platform.initStart"))
        for bad in ["", "{}", "[{}]", "[{\"type\":\"platform.start\",\"record\":{}}]", "[{\"type\":\"platform.report\",\"record\":{\"requestId\":\"r\"}}]", "[1", "[{\"type\":\"function\",\"record\":3}]"] {
            #expect(throws: TelemetryEvent.Malformed.self, "\(bad)") { try TelemetryEvent.parseBatch(Array(bad.utf8)) }
        }
    }

    @Test("Lambda events parse; anything else is a malformed event")
    func lambdaEvents() throws {
        let invoke = try LambdaEvent(json: Array(#"{"eventType":"INVOKE","deadlineMs":1700000003000,"requestId":"r","invokedFunctionArn":"arn","tracing":{"type":"X-Amzn-Trace-Id","value":"Root=1"}}"#.utf8))
        #expect(invoke == .invoke(.init(requestID: "r", deadlineMilliseconds: 1_700_000_003_000, functionARN: "arn", traceID: "Root=1")))
        let shutdown = try LambdaEvent(json: Array(#"{"eventType":"SHUTDOWN","shutdownReason":"timeout","deadlineMs":5}"#.utf8))
        #expect(shutdown == .shutdown(.init(reason: "timeout", deadlineMilliseconds: 5)))
        for bad in ["", "{}", #"{"eventType":"INVOKE"}"#, #"{"eventType":"PAUSE"}"#, "[]"] {
            #expect(throws: ExtensionsAPIError.self) { try LambdaEvent(json: Array(bad.utf8)) }
        }
    }

    @Test("content decoding: gzip, zlib and raw deflate; unknown encodings 415; bombs 413; garbage 400")
    func contentDecoding() throws {
        var inflater = try Inflater()
        let text = Array(String(repeating: "agent data ", count: 50).utf8)
        var gzip = try GzipStream()
        try gzip.write(text)
        try gzip.finish()
        #expect(try ContentDecoding.decode(gzip.output, contentEncoding: "gzip", maxBytes: 1 << 20, inflater: &inflater) == text)
        #expect(try ContentDecoding.decode(text, contentEncoding: nil, maxBytes: 1 << 20, inflater: &inflater) == text)
        #expect((try? ContentDecoding.decode(text, contentEncoding: "br", maxBytes: 1 << 20, inflater: &inflater)) == nil)
        let tooLarge = #expect(throws: ContentDecoding.Failure.self) {
            try ContentDecoding.decode(gzip.output, contentEncoding: "gzip", maxBytes: 100, inflater: &inflater)
        }
        #expect(tooLarge?.status == 413)
        let garbage = #expect(throws: ContentDecoding.Failure.self) {
            try ContentDecoding.decode(text, contentEncoding: "deflate", maxBytes: 1 << 20, inflater: &inflater)
        }
        #expect(garbage?.status == 400)
        let unknown = #expect(throws: ContentDecoding.Failure.self) {
            try ContentDecoding.decode(text, contentEncoding: "br", maxBytes: 1 << 20, inflater: &inflater)
        }
        #expect(unknown?.status == 415)
    }
}

@Suite("Telemetry listener")
struct TelemetryListenerTests {
    @Test("a malformed batch gets 400 and is counted; a good one is handed on")
    func malformedBatches() async throws {
        let received = Counter()
        let listener = TelemetryListener(logger: .init(label: "test")) { events in await received.add(events.count) }
        let bad = await listener.handle(ServerRequest(method: "POST", uri: "/", headers: [:], body: Array("[{\"type\":".utf8)))
        #expect(bad.status == 400)
        #expect(listener.malformedBatches == 1)
        let good = await listener.handle(ServerRequest(
            method: "POST", uri: "/", headers: [:], body: Array(#"[{"time":"2026-11-30T19:41:04.123Z","type":"platform.start","record":{"requestId":"r"}}]"#.utf8)))
        #expect(good.status == 200)
        #expect(await received.value == 1)
        #expect(listener.malformedBatches == 1)
    }

    actor Counter {
        var value = 0
        func add(_ count: Int) { value += count }
    }
}

@Suite("Request URI")
struct RequestURITests {
    @Test(
        "path and query parameters, as agents and Lambda send them",
        arguments: [
            ("/intake/v2/events?flushed=true", "/intake/v2/events", "true"),
            ("/intake/v2/events?a=1&flushed=false&b", "/intake/v2/events", "false"),
            ("/intake/v2/events?flushed", "/intake/v2/events", ""),
            ("/intake/v2/events?flushed=", "/intake/v2/events", ""),
            ("/intake/v2/events?flushedx=true&&flushed=a=b", "/intake/v2/events", "a=b"),
            ("/intake/v2/events", "/intake/v2/events", nil),
            ("/intake/v2/events?", "/intake/v2/events", nil),
            ("/é?flushed=é", "/é", "é"),
            ("?flushed=true", "", "true"),
        ] as [(String, String, String?)])
    func pathAndQuery(uri: String, path: String, flushed: String?) {
        let request = ServerRequest(method: "POST", uri: uri)
        #expect(request.path == path)
        #expect(request.queryValue("flushed").map(String.init) == flushed)
    }
}
