import Foundation
import LambdaSim

/// A CA and server certificates generated with `openssl` at test time, and a TLS server (the APM
/// Server sink of `lambda-sim` in its TLS mode, the package's one TLS server) presenting one of
/// them on a loopback port.
public struct TLSFixture: Sendable {
    public let directory: String
    public var caPEM: String { (try? String(contentsOfFile: caPath, encoding: .utf8)) ?? "" }
    public var caPath: String { directory + "/ca.pem" }
    public var caKeyPath: String { directory + "/ca.key" }

    /// The certificate of `name` ("server": 127.0.0.1/localhost, "other": another host), signed by the CA.
    public func certificatePath(_ name: String = "server") -> String { "\(directory)/\(name).pem" }
    public func privateKeyPath(_ name: String = "server") -> String { "\(directory)/\(name).key" }

    /// Makes a CA, a certificate for 127.0.0.1/localhost and one for another host, both signed by it.
    public init() throws {
        directory = try Subprocess.temporaryDirectory()
        let dir = directory
        try Subprocess.run([
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", "\(dir)/ca.key", "-out", "\(dir)/ca.pem", "-subj", "/CN=eapm test CA",
        ])
        try issue(name: "server", subjectAltName: "IP:127.0.0.1,DNS:localhost")
        try issue(name: "other", subjectAltName: "DNS:other.invalid")
    }

    private func issue(name: String, subjectAltName: String) throws {
        let dir = directory
        try Subprocess.run([
            "openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(dir)/\(name).key",
            "-out", "\(dir)/\(name).csr", "-subj", "/CN=\(name)",
        ])
        try "subjectAltName=\(subjectAltName)\n".write(toFile: "\(dir)/\(name).ext", atomically: true, encoding: .utf8)
        try Subprocess.run([
            "openssl", "x509", "-req", "-in", "\(dir)/\(name).csr", "-CA", "\(dir)/ca.pem", "-CAkey", "\(dir)/ca.key",
            "-CAcreateserial", "-days", "2", "-out", "\(dir)/\(name).pem", "-extfile", "\(dir)/\(name).ext",
        ])
    }

    /// Runs `body` with a TLS server presenting `certificate` ("server" or "other"), given its
    /// port; it answers `GET /` with APM Server's info (200) and records what it received.
    public func withServer<Result>(certificate: String = "server", _ body: (Int) async throws -> Result) async throws -> Result {
        let server = try await APMServerSink.start(
            tls: SinkTLS(certificatePath: certificatePath(certificate), privateKeyPath: privateKeyPath(certificate)))
        do {
            let result = try await body(server.port)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }
}
