import Foundation

/// A CA and server certificates generated with `openssl` at test time, and a TLS server
/// (`scripts/tls_test_server.py`) presenting one of them on a loopback port.
public struct TLSFixture: Sendable {
    public let directory: String
    public var caPEM: String { (try? String(contentsOfFile: directory + "/ca.pem", encoding: .utf8)) ?? "" }
    public var caPath: String { directory + "/ca.pem" }

    /// A certificate ("server": for 127.0.0.1 and localhost; "other": for another host) and its key.
    public func certificatePath(_ name: String = "server") -> String { directory + "/\(name).pem" }
    public func privateKeyPath(_ name: String = "server") -> String { directory + "/\(name).key" }

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

    /// Runs `body` with a TLS server presenting `certificate` ("server" or "other").
    public func withServer<Result>(certificate: String = "server", _ body: (Int) async throws -> Result) async throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", Subprocess.repositoryRoot + "/scripts/tls_test_server.py",
            "\(directory)/\(certificate).pem", "\(directory)/\(certificate).key",
        ]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        defer {
            try? input.fileHandleForWriting.close() // the server exits when its stdin closes
            process.waitUntilExit()
        }
        // The server prints its port once it listens: reading that line is the synchronisation.
        var line = Data()
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data([0x0A]) { break }
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            throw Subprocess.Failure(command: process.arguments ?? [], status: -1, output: "no port printed")
        }
        return try await body(port)
    }
}
