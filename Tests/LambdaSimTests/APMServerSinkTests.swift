import JSON
@testable import LambdaSim
import Testing
import Transport

@Suite("APM Server sink")
struct APMServerSinkTests {
    static let body = """
        {"metadata":{"service":{"name":"f","agent":{"name":"nodejs","version":"4.7.0"}}}}
        {"transaction":{"id":"a","trace_id":"b","type":"request","duration":1,"span_count":{"started":0}}}
        {"span":{"id":"c","trace_id":"b","parent_id":"a","name":"q","type":"db","duration":1,"start":0}}

        """

    private func post(
        _ sink: APMServerSink, body: [UInt8], encoding: String? = nil, timeout: Duration = .seconds(10)
    ) async throws -> HTTPResponse {
        let client = try HTTPClient()
        var request = HTTPRequest(
            method: "POST", url: sink.url + "/intake/v2/events", headers: ["Content-Type": "application/x-ndjson"],
            body: body, timeout: timeout)
        request.headers.add(name: "Authorization", value: "ApiKey secret")
        if let encoding { request.headers.add(name: "Content-Encoding", value: encoding) }
        return try await client.execute(request)
    }

    @Test(arguments: [AgentCompression.none, .gzip, .deflate])
    func inflatesSplitsAndRecords(compression: AgentCompression) async throws {
        let sink = try await APMServerSink.start()
        let encoded = try AgentCompressor.encode(Array(Self.body.utf8), as: compression)
        let response = try await post(sink, body: encoded, encoding: compression == .none ? nil : compression.rawValue)
        let requests = sink.requests
        await sink.stop()

        #expect(response.status == 202)
        #expect(try parseJSON(response.body)["accepted"]?.doubleValue == 2)
        let request = try #require(requests.first)
        #expect(requests.count == 1)
        #expect(request.eventTypes == ["metadata", "transaction", "span"])
        #expect(request.events[1].hasPrefix(#"{"transaction":"#))
        #expect(request.headers["authorization"] == "ApiKey secret")
        #expect(request.headers["content-type"] == "application/x-ndjson")
        #expect(request.status == 202)
        #expect(request.behaviour == "ok")
    }

    @Test func rawDeflateIsAcceptedToo() async throws {
        // Some clients send raw RFC 1951 data as "deflate": strip the zlib wrapper.
        let zlib = try AgentCompressor.encode(Array(Self.body.utf8), as: .deflate)
        let raw = Array(zlib[2..<(zlib.count - 4)])
        let sink = try await APMServerSink.start()
        let response = try await post(sink, body: raw, encoding: "deflate")
        await sink.stop()
        #expect(response.status == 202)
        #expect(sink.requests.first?.events.count == 3)
    }

    @Test func badCompressionAndBadJSONAreRefusedAndRecorded() async throws {
        let sink = try await APMServerSink.start()
        let badGzip = try await post(sink, body: Array("not gzip".utf8), encoding: "gzip")
        let badJSON = try await post(sink, body: Array("{\"metadata\":{}}\n{oops\n".utf8))
        let requests = sink.requests
        await sink.stop()
        #expect(badGzip.status == 400)
        #expect(badJSON.status == 400)
        #expect(requests.map(\.status) == [400, 400])
        #expect(requests.allSatisfy { $0.bodyError != nil })
    }

    @Test func serverInfo() async throws {
        let sink = try await APMServerSink.start()
        let response = try await HTTPClient().execute(HTTPRequest(url: sink.url + "/"))
        await sink.stop()
        #expect(response.status == 200)
        let info = try parseJSON(response.body)
        #expect(info["version"]?.stringValue == "8.15.0")
        #expect(info["publish_ready"]?.boolValue == true)
        #expect(info["build_sha"]?.stringValue != nil)
        #expect(info["build_date"]?.stringValue != nil)
    }

    @Test(arguments: [500, 503, 429, 401])
    func failureStatusesCarryAnErrorsBody(status: Int) async throws {
        let sink = try await APMServerSink.start()
        sink.setBehaviour(.failure(status: status))
        let response = try await post(sink, body: Array(Self.body.utf8))
        let requests = sink.requests
        await sink.stop()
        #expect(response.status == status)
        let errors = try #require(try parseJSON(response.body)["errors"]?.arrayValue)
        #expect(errors.first?["message"]?.stringValue?.isEmpty == false)
        // The events are still recorded: a test can see what the extension tried to send.
        #expect(requests.first?.events.count == 3)
        #expect(requests.first?.status == status)
        #expect(requests.first?.behaviour == "\(status)")
    }

    @Test func slowAnswersAfterItsDelay() async throws {
        let sink = try await APMServerSink.start()
        sink.setBehaviour(.slow(delayMs: 50))
        let response = try await post(sink, body: Array(Self.body.utf8))
        await sink.stop()
        #expect(response.status == 202)
        #expect(sink.requests.first?.behaviour == "slow(50 ms)")
    }

    @Test func resetClosesWithoutAnswer() async throws {
        let sink = try await APMServerSink.start()
        sink.setBehaviour(.reset)
        await #expect(throws: TransportError.self) { _ = try await post(sink, body: Array(Self.body.utf8)) }
        let requests = sink.requests
        await sink.stop()
        #expect(requests.count == 1)
        #expect(requests.first?.status == nil)
        #expect(requests.first?.events.count == 3)
    }

    @Test func hangNeverAnswers() async throws {
        let sink = try await APMServerSink.start()
        sink.setBehaviour(.hang)
        // The client's own timeout ends the wait; the test asserts only that no answer came.
        let error = await #expect(throws: TransportError.self) {
            _ = try await post(sink, body: Array(Self.body.utf8), timeout: .milliseconds(300))
        }
        #expect(error?.code == .timeout)
        #expect(sink.requests.first?.status == nil)
        // Stopping the sink ends the hanging connection.
        await sink.stop()
    }

    @Test func behaviourChangesApplyToLaterRequests() async throws {
        let sink = try await APMServerSink.start()
        sink.setBehaviour(.failure(status: 503))
        let failing = try await post(sink, body: Array(Self.body.utf8))
        sink.setBehaviour(.ok)
        let recovered = try await post(sink, body: Array(Self.body.utf8))
        await sink.stop()
        #expect([failing.status, recovered.status] == [503, 202])
    }
}
