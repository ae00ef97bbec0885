import JSON
@testable import Lifecycle
import Testing

@Suite("Events the extension makes")
struct EventTests {
    @Test("a platform.report becomes the platform metricset")
    func metricset() throws {
        let report = TelemetryEvent.Report(
            requestID: "req-1", status: "success", durationMilliseconds: 182.43, billedDurationMilliseconds: 183,
            memorySizeMB: 128, maxMemoryUsedMB: 76, initDurationMilliseconds: 422.97, timeMicroseconds: nil)
        let value = try JSONParser.parse(PlatformMetrics.metricset(
            report: report, functionARN: "arn:aws:lambda:us-east-1:1:function:f", invocationStartMilliseconds: 1_000_000,
            deadlineMilliseconds: 1_002_950, timestampMicroseconds: 1_700_000_000_000_000))
        let metricset = try #require(value["metricset"])
        #expect(metricset["timestamp"]?.int64Value == 1_700_000_000_000_000)
        #expect(metricset["faas"]?["id"]?.stringValue == "arn:aws:lambda:us-east-1:1:function:f")
        #expect(metricset["faas"]?["execution"]?.stringValue == "req-1")
        #expect(metricset["faas"]?["coldstart"]?.boolValue == true)
        let samples = try #require(metricset["samples"])
        #expect(samples["faas.duration"]?["value"]?.doubleValue == 182.43)
        #expect(samples["faas.billed_duration"]?["value"]?.doubleValue == 183)
        #expect(samples["faas.coldstart_duration"]?["value"]?.doubleValue == 422.97)
        #expect(samples["faas.timeout"]?["value"]?.doubleValue == 3000)
        #expect(samples["system.memory.total"]?["value"]?.doubleValue == Double(128 * 1_048_576))
        #expect(samples["system.memory.actual.free"]?["value"]?.doubleValue == Double(52 * 1_048_576))
    }

    @Test("faas.timeout rounds the deadline span up to whole seconds, forgiving clock rounding", arguments: [
        (2950, 3000.0), (3000, 3000), (3001, 3000), (3002, 3000), (3003, 4000), (0, 0), (-5, 0),
    ])
    func timeout(span: Int64, expected: Double) {
        #expect(PlatformMetrics.timeoutMilliseconds(deadline: 1000 + span, start: 1000) == expected)
    }

    @Test("a warm start is not a cold start")
    func warmStart() throws {
        let report = TelemetryEvent.Report(
            requestID: "r", status: nil, durationMilliseconds: 1, billedDurationMilliseconds: 1, memorySizeMB: 128,
            maxMemoryUsedMB: 60, initDurationMilliseconds: nil, timeMicroseconds: nil)
        let value = try JSONParser.parse(PlatformMetrics.metricset(
            report: report, functionARN: nil, invocationStartMilliseconds: nil, deadlineMilliseconds: nil, timestampMicroseconds: 1))
        #expect(value["metricset"]?["faas"]?["coldstart"]?.boolValue == false)
        #expect(value["metricset"]?["samples"]?["faas.timeout"] == nil)
    }

    @Test("a Managed Instances report: its duration, and nothing it does not carry")
    func managedInstancesReport() throws {
        let events = try TelemetryEvent.parseBatch(Array(#"""
            [{"time":"2026-11-30T19:41:04.400Z","type":"platform.report","record":{"requestId":"r1","status":"timeout",
              "errorType":"Sandbox.Timedout","metrics":{"durationMs":3000.5},"spans":[]}}]
            """#.utf8))
        guard case .report(let report) = try #require(events.first) else {
            Issue.record("expected a report")
            return
        }
        #expect(report.status == "timeout" && report.billedDurationMilliseconds == nil && report.memorySizeMB == nil)
        let value = try JSONParser.parse(PlatformMetrics.metricset(
            report: report, functionARN: "arn", invocationStartMilliseconds: 5, deadlineMilliseconds: 0, timestampMicroseconds: 1,
            coldStartKnown: false))
        let metricset = try #require(value["metricset"])
        #expect(metricset["samples"]?.objectValue?.keys == ["faas.duration"])
        #expect(metricset["samples"]?["faas.duration"]?["value"]?.doubleValue == 3000.5)
        #expect(metricset["faas"]?.objectValue?.keys.sorted() == ["execution", "id"])
    }

    @Test("a log line that is a JSON string (Managed Instances) is read as JSON; other strings stay text")
    func jsonLogLines() throws {
        let line: JSONValue = .string(#"{"timestamp":"2026-01-01T00:00:00Z","level":"INFO","message":"order 7","requestId":"r7"}"# + "\n")
        #expect(FunctionLog.requestID(in: line) == "r7")
        let event = try JSONParser.parse(FunctionLog.event(record: line, timestampMicroseconds: 1, functionARN: nil, requestID: "r7"))
        #expect(event["log"]?["message"]?.stringValue == "order 7")
        #expect(event["log"]?["log.level"]?.stringValue == "INFO")
        let noMessage: JSONValue = .string(#"{"requestId":"r8"}"#)
        let kept = try JSONParser.parse(FunctionLog.event(record: noMessage, timestampMicroseconds: 1, functionARN: nil, requestID: nil))
        #expect(kept["log"]?["message"]?.stringValue == #"{"requestId":"r8"}"#)
        for text in ["{not json", "{\"a\":1", "[1,2]", "plain"] {
            #expect(FunctionLog.requestID(in: .string(text)) == nil)
            let event = try JSONParser.parse(FunctionLog.event(record: .string(text), timestampMicroseconds: 1, functionARN: nil, requestID: nil))
            #expect(event["log"]?["message"]?.stringValue == text)
        }
    }

    @Test("overlapping invocations: a line naming no request id belongs to one only while one alone runs")
    func logAttributionWithOverlap() async {
        let tracker = InvocationTracker(concurrentInvocations: true)
        func executions(_ events: [TelemetryEvent]) async -> [String?] {
            await tracker.handle(events, captureLogs: true).compactMap { line -> String?? in
                guard let value = try? JSONParser.parse(line), let log = value["log"] else { return nil }
                return .some(log["faas"]?["execution"]?.stringValue)
            }
        }
        let line = TelemetryEvent.function(timeMicroseconds: 1, record: .string("printed"))
        #expect(await executions([.start(requestID: "a"), line]) == ["a"])
        #expect(await executions([.start(requestID: "b"), line]) == [nil])
        #expect(await executions([.function(timeMicroseconds: 1, record: .string(#"{"message":"m","requestId":"b"}"#))]) == ["b"])
        let report = TelemetryEvent.Report(
            requestID: "a", status: "success", durationMilliseconds: 1, billedDurationMilliseconds: nil, memorySizeMB: nil,
            maxMemoryUsedMB: nil, initDurationMilliseconds: nil, timeMicroseconds: nil)
        #expect(await executions([.report(report), line]) == ["b"])
    }

    @Test("the tracker keeps the latest 256 invocations: a log naming one of them gets its ARN, older ones the latest ARN")
    func trackerKeepsLatestInvocations() async {
        let tracker = InvocationTracker()
        for number in 0..<300 {
            let invocation = LambdaEvent.Invocation(
                requestID: "r-\(number)", deadlineMilliseconds: 1, functionARN: "arn-\(number)", traceID: nil)
            await tracker.invocationStarted(invocation, atMilliseconds: 0)
        }
        func arn(ofLogNaming requestID: String) async -> String? {
            let record = TelemetryEvent.function(timeMicroseconds: 1, record: .string(#"{"message":"m","requestId":"\#(requestID)"}"#))
            let lines = await tracker.handle([record], captureLogs: true)
            return lines.first.flatMap { try? JSONParser.parse($0) }?["log"]?["faas"]?["id"]?.stringValue
        }
        // 300 - 256 = 44: r-0 ... r-43 are forgotten.
        #expect(await arn(ofLogNaming: "r-299") == "arn-299")
        #expect(await arn(ofLogNaming: "r-44") == "arn-44")
        #expect(await arn(ofLogNaming: "r-100") == "arn-100")
        #expect(await arn(ofLogNaming: "r-43") == "arn-299")
        #expect(await arn(ofLogNaming: "r-0") == "arn-299")
        // A known invocation started again updates its record rather than adding one.
        await tracker.invocationStarted(
            LambdaEvent.Invocation(requestID: "r-100", deadlineMilliseconds: 1, functionARN: "arn-again", traceID: nil), atMilliseconds: 0)
        #expect(await arn(ofLogNaming: "r-100") == "arn-again")
        #expect(await arn(ofLogNaming: "r-44") == "arn-44")
    }

    @Test("function logs: plain lines and JSON records keep their message")
    func functionLogs() throws {
        let plain = FunctionLog.event(record: .string("hello\n"), timestampMicroseconds: 5, functionARN: "arn", requestID: "r1")
        #expect(String(decoding: plain, as: UTF8.self) == #"{"log":{"@timestamp":5,"message":"hello","faas":{"id":"arn","execution":"r1"}}}"#)
        let json: JSONValue = .object(["level": .string("ERROR"), "message": .string("boom"), "requestId": .string("r2")])
        #expect(FunctionLog.requestID(in: json) == "r2")
        let structured = try JSONParser.parse(FunctionLog.event(record: json, timestampMicroseconds: 6, functionARN: nil, requestID: "r2"))
        #expect(structured["log"]?["message"]?.stringValue == "boom")
        #expect(structured["log"]?["log.level"]?.stringValue == "ERROR")
    }

    @Test("a proxy transaction carries result, outcome and duration")
    func proxyTransaction() {
        let registered: JSONObject = ["id": .string("t1"), "trace_id": .string("tr"), "type": .string("request"), "timestamp": .number(1)]
        let failed = ProxyTransaction.event(registered: registered, result: "timeout", durationMilliseconds: 2800)
        #expect(failed["transaction"]?["result"]?.stringValue == "timeout")
        #expect(failed["transaction"]?["outcome"]?.stringValue == "failure")
        #expect(failed["transaction"]?["duration"]?.doubleValue == 2800)
        #expect(failed["transaction"]?["span_count"]?["started"]?.int64Value == 0)
        let success = ProxyTransaction.event(registered: registered, result: "success", durationMilliseconds: 1)
        #expect(success["transaction"]?["outcome"]?.stringValue == "success")
    }

    @Test("synthesized metadata names the function, its runtime and the cloud")
    func synthesizedMetadata() throws {
        let line = SynthesizedMetadata.line(
            environment: [
                "AWS_LAMBDA_FUNCTION_NAME": "orders", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "AWS_REGION": "eu-west-1",
                "AWS_EXECUTION_ENV": "AWS_Lambda_nodejs20.x",
            ],
            extensionVersion: "0.1.0")
        let metadata = try #require(try JSONParser.parse(line)["metadata"])
        #expect(metadata["service"]?["name"]?.stringValue == "orders")
        #expect(metadata["service"]?["runtime"]?["name"]?.stringValue == "nodejs")
        #expect(metadata["service"]?["runtime"]?["version"]?.stringValue == "20.x")
        #expect(metadata["cloud"]?["provider"]?.stringValue == "aws")
        #expect(metadata["cloud"]?["region"]?.stringValue == "eu-west-1")
        #expect(metadata["cloud"]?["service"]?["name"]?.stringValue == "lambda")
    }

    @Test("RFC 3339 times parse to microseconds and format back")
    func wallClock() {
        #expect(WallClock.parseISO8601("1970-01-01T00:00:00Z") == 0)
        #expect(WallClock.parseISO8601("2026-11-30T19:41:04.123Z") == 1_796_067_664_123_000)
        #expect(WallClock.parseISO8601("2026-11-30T20:41:04.123456+01:00") == 1_796_067_664_123_456)
        #expect(WallClock.iso8601(microseconds: 1_796_067_664_123_000) == "2026-11-30T19:41:04.123Z")
        for bad in ["", "2026-11-30", "2026-13-01T00:00:00Z", "2026-11-30T19:41:04", "2026-11-30T19:41:04.Z", "x026-11-30T19:41:04Z"] {
            #expect(WallClock.parseISO8601(bad) == nil, "\(bad)")
        }
    }
}
