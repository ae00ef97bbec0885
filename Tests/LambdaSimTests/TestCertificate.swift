import Foundation
@testable import LambdaSim
import TestSupport

/// A self-signed certificate for 127.0.0.1, made with the `openssl` command for one test.
struct TestCertificate {
    let certificatePath: String
    let privateKeyPath: String

    var pem: String { (try? String(contentsOfFile: certificatePath, encoding: .utf8)) ?? "" }
    var sinkTLS: SinkTLS { SinkTLS(certificatePath: certificatePath, privateKeyPath: privateKeyPath) }

    static func make() throws -> TestCertificate {
        let base = IntakeValidator.temporaryPath("tls")
        let certificate = TestCertificate(certificatePath: base + "-cert.pem", privateKeyPath: base + "-key.pem")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", certificate.privateKeyPath, "-out", certificate.certificatePath, "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw SimulatorError(.launchFailed, "openssl req failed with status \(process.terminationStatus)")
        }
        return certificate
    }
}
