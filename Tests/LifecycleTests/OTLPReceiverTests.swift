import HTTPServer
import Foundation
import LambdaSim
@testable import Lifecycle
import Logging
import NIOPosix
import Testing
import Transport

/// The receiver's OTLP/HTTP paths against the real HTTP server on loopback, forwarding to a real
/// APM Server sink (issue 17).
@Suite("OTLP receiver", .serialized)
struct OTLPReceiverTests {
    /// A receiver on a free port whose forwarder sends to a sink; `stop()` closes both.
    struct Harness {
        let sink: APMServerSink
        let forwarder: Forwarder
        let server: HTTPServer
        let http: HTTPClient
        var url: String { "http://127.0.0.1:\(server.port)" }

        static func start() async throws -> Harness {
            let sink = try await APMServerSink.start()
            let logger = Logger(label: "otlp-test") { _ in SwiftLogNoOpLogHandler() }
            let http = try HTTPClient()
            let client = APMServerClient(serverURL: sink.url, authorization: .apiKey("the-key"), userAgent: "apm-aws-lambda/test", http: http)
            let forwarder = try Forwarder(
                client: client, forwarderTimeout: .seconds(5), limits: Forwarder.Limits(), synthesizedMetadata: nil, logger: logger)
            let receiver = try AgentReceiver(
                forwarder: forwarder, apmServer: client, forwarderTimeout: .seconds(5),
                events: .init(agentFlushed: {}, transactionRegistered: { _, _, _ in }, transactionsReported: { _ in }), logger: logger)
            // The process-wide group, never shut down (as in the extension): connections the
            // client keeps alive may still be closing when a test ends.
            let server = try await receiver.serve(
                host: "127.0.0.1", port: 0, requestTimeout: .seconds(5), group: MultiThreadedEventLoopGroup.singleton)
            return Harness(sink: sink, forwarder: forwarder, server: server, http: http)
        }

        func post(_ path: String, body: [UInt8], headers: HTTPFields, method: String = "POST") async throws -> HTTPResponse {
            try await http.execute(HTTPRequest(method: method, url: url + path, headers: headers, body: body, timeout: .seconds(10)))
        }

        /// Ships what the forwarder holds and returns what reached the sink on OTLP paths.
        func delivered() async -> [SinkRequest] {
            await forwarder.flush(until: .after(milliseconds: 5000))
            return sink.requests.filter(\.isOTLP)
        }

        func stop() async throws {
            await server.stop()
            await sink.stop()
        }
    }

    /// Bytes the receiver never decodes: any body will do, it must arrive unchanged.
    static func exportBody(_ signal: OTLPSignal) -> [UInt8] {
        Array("\u{0A}\u{05}\(signal.rawValue)-export-bytes".utf8) + [0x00, 0xFF, 0x80, 0x12]
    }

    static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        var stream = try GzipStream(level: 6)
        try stream.write(bytes)
        try stream.finish()
        return stream.output
    }

    @Test("an export (plain or gzip) is answered 200 with an empty protobuf at once, and forwarded unchanged, gzip'd, with the extension's credentials",
          arguments: OTLPSignal.allCases, [false, true])
    func accepted(signal: OTLPSignal, gzipped: Bool) async throws {
        let harness = try await Harness.start()
        let body = Self.exportBody(signal)
        var headers: HTTPFields = ["Content-Type": "application/x-protobuf", "User-Agent": "OTel-OTLP-Exporter-Python/1.45.2", "Authorization": "Bearer sdk-own"]
        if gzipped { headers.add(name: "Content-Encoding", value: "gzip") }
        let response = try await harness.post(signal.path, body: gzipped ? try Self.gzip(body) : body, headers: headers)
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "application/x-protobuf")
        #expect(response.body.isEmpty, "an empty Export…ServiceResponse is zero bytes")

        let delivered = await harness.delivered()
        try await harness.stop()
        #expect(delivered.count == 1)
        let request = try #require(delivered.first)
        #expect(request.path == signal.path)
        #expect(request.status == 200)
        #expect(request.headers["content-type"] == "application/x-protobuf")
        #expect(request.headers["content-encoding"] == "gzip")
        #expect(request.headers["authorization"] == "ApiKey the-key", "the extension's credentials, never the SDK's")
        #expect(request.headers["user-agent"] == "apm-aws-lambda/test OTel-OTLP-Exporter-Python/1.45.2")
        #expect(request.otlpBody.flatMap { Data(base64Encoded: $0) }.map(Array.init) == body)
    }

    @Test("OTLP/JSON gets 415 naming http/protobuf, in JSON; another or no Content-Type 415 in protobuf; nothing is forwarded")
    func unsupportedMediaType() async throws {
        let harness = try await Harness.start()
        let json = try await harness.post("/v1/traces", body: Array(#"{"resourceSpans":[]}"#.utf8), headers: ["Content-Type": "application/json"])
        #expect(json.status == 415)
        #expect(json.headers["content-type"] == "application/json")
        let message = String(decoding: json.body, as: UTF8.self)
        #expect(message.contains("http/protobuf"), "\(message)")
        #expect((try? JSONSerialization.jsonObject(with: Data(json.body))) is [String: Any], "a JSON Status: \(message)")

        for contentType in ["text/plain", nil] {
            var headers: HTTPFields = [:]
            if let contentType { headers.add(name: "Content-Type", value: contentType) }
            let response = try await harness.post("/v1/logs", body: Self.exportBody(.logs), headers: headers)
            #expect(response.status == 415)
            #expect(response.headers["content-type"] == "application/x-protobuf")
            #expect(String(decoding: response.body, as: UTF8.self).contains("http/protobuf"))
        }
        let delivered = await harness.delivered()
        try await harness.stop()
        #expect(delivered.isEmpty)
    }

    @Test("a body over 8 MiB gets 413, as sent or once inflated; bad gzip 400; nothing is forwarded")
    func badBodies() async throws {
        let harness = try await Harness.start()
        let headers: HTTPFields = ["Content-Type": "application/x-protobuf"]
        let oversized = try await harness.post("/v1/traces", body: [UInt8](repeating: 0x0A, count: AgentReceiver.maxBodyBytes + 1), headers: headers)
        #expect(oversized.status == 413)

        var gzipHeaders = headers
        gzipHeaders.add(name: "Content-Encoding", value: "gzip")
        let bomb = try Self.gzip([UInt8](repeating: 0, count: AgentReceiver.maxBodyBytes + 1024))
        let inflatedTooLarge = try await harness.post("/v1/metrics", body: bomb, headers: gzipHeaders)
        #expect(inflatedTooLarge.status == 413)
        #expect(inflatedTooLarge.headers["content-type"] == "application/x-protobuf")

        let notGzip = try await harness.post("/v1/logs", body: Array("this is not gzip".utf8), headers: gzipHeaders)
        #expect(notGzip.status == 400)
        #expect(notGzip.headers["content-type"] == "application/x-protobuf")
        #expect(String(decoding: notGzip.body, as: UTF8.self).contains("inflated"))

        let delivered = await harness.delivered()
        try await harness.stop()
        #expect(delivered.isEmpty)
    }

    @Test("other methods on the OTLP paths get 405 with Allow: POST, and are not proxied", arguments: ["GET", "PUT", "DELETE"])
    func methodNotAllowed(method: String) async throws {
        let harness = try await Harness.start()
        let response = try await harness.post("/v1/traces", body: [], headers: [:], method: method)
        #expect(response.status == 405)
        #expect(response.headers["allow"] == "POST")
        let reachedSink = harness.sink.requests
        try await harness.stop()
        #expect(reachedSink.isEmpty, "not proxied to APM Server")
    }

    @Test("an empty export is answered 200 and forwards nothing; intake beside OTLP still answers 202 and ships")
    func emptyExportAndIntake() async throws {
        let harness = try await Harness.start()
        let empty = try await harness.post("/v1/traces", body: [], headers: ["Content-Type": "application/x-protobuf"])
        #expect(empty.status == 200)
        let intake = try await harness.post(
            "/intake/v2/events",
            body: Array(#"{"metadata":{"service":{"name":"s","agent":{"name":"nodejs","version":"1"}}}}"#.utf8) + [0x0A]
                + Array(#"{"span":{"id":"1","name":"n"}}"#.utf8) + [0x0A],
            headers: ["Content-Type": "application/x-ndjson"])
        #expect(intake.status == 202)
        let otlp = await harness.delivered()
        let intakeRequests = harness.sink.requests.filter { $0.path == "/intake/v2/events" }
        try await harness.stop()
        #expect(otlp.isEmpty)
        #expect(intakeRequests.count == 1)
    }
}
