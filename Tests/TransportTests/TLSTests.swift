import TestSupport
import Testing
import Transport

@Suite("TLS")
struct TLSTests {
    static let fixture = Result { try TLSFixture() }

    @Test("succeeds with the CA given as PEM and as a file")
    func trustsTheExtraCA() async throws {
        let fixture = try Self.fixture.get()
        try await fixture.withServer { port in
            for tls in [TLSConfiguration(extraCAPEM: fixture.caPEM), TLSConfiguration(extraCAPEM: fixture.caPEM, caBundlePath: fixture.caPath)] {
                let client = try HTTPClient(tls: tls)
                let response = try await client.execute(HTTPRequest(url: "https://127.0.0.1:\(port)/"))
                #expect(response.status == 200)
                #expect(response.bodyText.contains(#""version":"#))
                let again = try await client.execute(HTTPRequest(url: "https://127.0.0.1:\(port)/"))
                #expect(again.timings.reusedConnection)
            }
        }
    }

    @Test("the bundle and the extra CA are one trust store, kept for every new connection")
    func bundleAndExtraCA() async throws {
        let fixture = try Self.fixture.get()
        let unrelated = try TLSFixture()  // another CA, which signed nothing the server presents
        try await fixture.withServer { port in
            for tls in [
                TLSConfiguration(extraCAPEM: unrelated.caPEM, caBundlePath: fixture.caPath),  // the bundle's CA signed it
                TLSConfiguration(extraCAPEM: fixture.caPEM, caBundlePath: unrelated.caPath),  // the extra CA signed it
            ] {
                let client = try HTTPClient(tls: tls)
                for _ in 0..<3 {
                    let response = try await client.execute(HTTPRequest(url: "https://127.0.0.1:\(port)/", headers: ["connection": "close"]))
                    #expect(response.status == 200)
                    #expect(!response.timings.reusedConnection, "each request on a new TLS connection")
                }
            }
        }
    }

    @Test("fails without the CA: the system roots do not know it")
    func failsWithoutTheCA() async throws {
        let fixture = try Self.fixture.get()
        try await fixture.withServer { port in
            let client = try HTTPClient()
            let error = try await #require(throws: TransportError.self) {
                try await client.execute(HTTPRequest(url: "https://127.0.0.1:\(port)/"))
            }
            #expect(error.code == .tls)
        }
    }

    @Test("succeeds with verification off")
    func verificationOff() async throws {
        let fixture = try Self.fixture.get()
        try await fixture.withServer(certificate: "other") { port in
            let client = try HTTPClient(tls: TLSConfiguration(verifyPeer: false))
            #expect(try await client.execute(HTTPRequest(url: "https://127.0.0.1:\(port)/")).status == 200)
        }
    }

    @Test("fails when the certificate names another host")
    func hostNameMismatch() async throws {
        let fixture = try Self.fixture.get()
        try await fixture.withServer(certificate: "other") { port in
            let client = try HTTPClient(tls: TLSConfiguration(extraCAPEM: fixture.caPEM))
            let error = try await #require(throws: TransportError.self) {
                try await client.execute(HTTPRequest(url: "https://127.0.0.1:\(port)/"))
            }
            #expect(error.code == .tls)
        }
    }

    @Test("a CA PEM without a certificate is refused when the client is made")
    func badPEMIsRefused() throws {
        let error = try #require(throws: TransportError.self) {
            try HTTPClient(tls: TLSConfiguration(extraCAPEM: "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"))
        }
        #expect(error.code == .tls)
        #expect(throws: TransportError.self) { try HTTPClient(tls: TLSConfiguration(extraCAPEM: "hello")) }
    }
}
