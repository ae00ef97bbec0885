import Foundation
import LambdaSim
@testable import Lifecycle
import Logging
import Testing
import Transport

/// The forwarder's one sender against a real APM Server sink on loopback.
@Suite("Forwarder", .serialized)
struct ForwarderTests {
    private static func forwarder(to sink: APMServerSink) throws -> Forwarder {
        let client = APMServerClient(
            serverURL: sink.url, authorization: nil, userAgent: "apm-aws-lambda/test", http: try HTTPClient())
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
}
