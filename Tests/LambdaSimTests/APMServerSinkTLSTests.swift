import JSON
@testable import LambdaSim
import Testing
import Transport

@Suite("APM Server sink over TLS")
struct APMServerSinkTLSTests {
    @Test func servesIntakeOverHTTPSToAClientThatTrustsItsCertificate() async throws {
        let certificate = try TestCertificate.make()
        let sink = try await APMServerSink.start(tls: certificate.sinkTLS)
        #expect(sink.url.hasPrefix("https://127.0.0.1:"))
        let client = try HTTPClient(tls: TLSConfiguration(verifyPeer: true, extraCAPEM: certificate.pem))
        let body = try AgentCompressor.encode(Array(APMServerSinkTests.body.utf8), as: .gzip)
        let first = try await client.execute(HTTPRequest(
            method: "POST", url: sink.url + "/intake/v2/events",
            headers: ["Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"], body: body))
        // A second request on the kept-alive TLS connection.
        let info = try await client.execute(HTTPRequest(url: sink.url + "/"))
        let requests = sink.requests
        await sink.stop()

        #expect(first.status == 202)
        #expect(info.status == 200)
        #expect(info.timings.reusedConnection)
        #expect(requests.first?.eventTypes == ["metadata", "transaction", "span"])
    }

    @Test func aClientThatDoesNotTrustItFailsTheHandshake() async throws {
        let certificate = try TestCertificate.make()
        let sink = try await APMServerSink.start(tls: certificate.sinkTLS)
        let client = try HTTPClient(tls: TLSConfiguration(verifyPeer: true, caBundlePath: certificate.privateKeyPath))
        let error = await #expect(throws: TransportError.self) {
            _ = try await client.execute(HTTPRequest(url: sink.url + "/"))
        }
        let requests = sink.requests
        await sink.stop()
        #expect(error?.code == .tls)
        #expect(requests.isEmpty)
    }

    @Test func aMissingCertificateIsAnError() async throws {
        await #expect(throws: SimulatorError.self) {
            _ = try await APMServerSink.start(tls: SinkTLS(certificatePath: "/nonexistent.pem", privateKeyPath: "/nonexistent.pem"))
        }
    }
}
