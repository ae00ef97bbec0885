import Foundation
import LambdaSim
@testable import Lifecycle
import Logging
import Testing
import Transport

/// The forwarder's one sender against a real APM Server sink on loopback.
@Suite("Forwarder", .serialized)
struct ForwarderTests {
    private static func forwarder(to sink: APMServerSink, http: HTTPClient? = nil) throws -> Forwarder {
        let client = APMServerClient(
            serverURL: sink.url, authorization: nil, userAgent: "apm-aws-lambda/test", http: try http ?? HTTPClient())
        return try Forwarder(
            client: client, forwarderTimeout: .seconds(5), limits: Forwarder.Limits(), synthesizedMetadata: nil,
            logger: Logger(label: "forwarder-test") { _ in SwiftLogNoOpLogHandler() })
    }

    private static func export(_ number: Int) -> [UInt8] { Array("export \(number)".utf8) }

    /// The export numbers that reached the sink with `status`, in arrival order.
    private static func arrived(_ sink: APMServerSink, status: Int) -> [String] {
        sink.requests.filter { $0.isOTLP && $0.status == status }.compactMap { request in
            request.otlpBody.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
        }
    }

    @Test("batches sealed while a send is under way go after it, one at a time, in order")
    func oneSenderInOrder() async throws {
        let sink = try await APMServerSink.start()
        sink.setBehaviour(.slow(delayMs: 20))
        let forwarder = try Self.forwarder(to: sink)
        // Each export starts a send at once; the ones after the first find the sender busy.
        for number in 0..<6 { await forwarder.addOTLPExport(.traces, protobuf: Self.export(number), userAgent: nil) }
        await forwarder.flush(until: .after(.seconds(10)))
        await forwarder.stop()
        await sink.stop()
        #expect(Self.arrived(sink, status: 200) == (0..<6).map { "export \($0)" })
        #expect(sink.mostRequestsAtOnce == 1)
    }

    @Test("a batch the server failed keeps its place: it goes first at the next chance")
    func failedBatchKeepsItsPlace() async throws {
        let sink = try await APMServerSink.start()
        sink.setBehaviour(.failure(status: 503))
        let forwarder = try Self.forwarder(to: sink)
        await forwarder.addOTLPExport(.traces, protobuf: Self.export(0), userAgent: nil)
        await forwarder.flush(until: .after(.seconds(10)))
        for number in 1..<4 { await forwarder.addOTLPExport(.traces, protobuf: Self.export(number), userAgent: nil) }
        // In the grace period now: only SHUTDOWN's last chance sends, and its success reopens the way.
        sink.setBehaviour(.ok)
        await forwarder.flush(until: .after(.seconds(10)), lastChance: true)
        await forwarder.stop()
        await sink.stop()
        #expect(Self.arrived(sink, status: 503) == ["export 0"])
        #expect(Self.arrived(sink, status: 200) == (0..<4).map { "export \($0)" })
        #expect(await forwarder.otlpExportsHeld == 0)
    }

    @Test("a flush that sends the outbox sends the caller's follow-up with the last batch: once it is accepted, after every batch")
    func followUpAfterTheLastBatch() async throws {
        let sink = try await APMServerSink.start()
        let http = try HTTPClient()
        let forwarder = try Self.forwarder(to: sink, http: http)
        // Two batches kept in the outbox: the first failed (grace period), the second came after.
        sink.setBehaviour(.failure(status: 503))
        await forwarder.addOTLPExport(.traces, protobuf: Self.export(0), userAgent: nil)
        await forwarder.flush(until: .after(.seconds(10)))
        await forwarder.addOTLPExport(.traces, protobuf: Self.export(1), userAgent: nil)
        await forwarder.flush(until: .after(.seconds(10))) // nothing sent: the grace period
        sink.setBehaviour(.ok)
        let next = try http.prepare(HTTPRequest(url: sink.url + "/"))
        await forwarder.flush(until: .after(.seconds(10)), lastChance: true, then: next)
        #expect(next.isUnderWay, "sent by the transport when the last batch was accepted")
        #expect(try await http.execute(next).status == 200)
        await forwarder.stop()
        await sink.stop()
        #expect(Self.arrived(sink, status: 200) == ["export 0", "export 1"])
        #expect(sink.requests.filter { $0.status == 200 }.map(\.path) == ["/v1/traces", "/v1/traces", "/"], "the follow-up came last, once")
    }

    @Test("a flush whose batch fails leaves the follow-up to the caller")
    func followUpNotSentOnFailure() async throws {
        let sink = try await APMServerSink.start()
        let http = try HTTPClient()
        let forwarder = try Self.forwarder(to: sink, http: http)
        sink.setBehaviour(.failure(status: 503))
        await forwarder.addAgentPayload(
            metadata: Array(#"{"metadata":{"service":{"name":"f"}}}"#.utf8),
            events: Array(#"{"metricset":{"samples":{}}}"#.utf8) + [0x0A], eventCount: 1, userAgent: nil)
        let next = try http.prepare(HTTPRequest(url: sink.url + "/"))
        await forwarder.flush(until: .after(.seconds(10)), then: next)
        #expect(!next.isUnderWay)
        await forwarder.stop()
        await sink.stop()
        #expect(sink.requests.map(\.path) == ["/intake/v2/events"], "the batch was sent (and failed), the follow-up was not")
    }
}
