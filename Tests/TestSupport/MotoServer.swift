import Foundation

/// moto, the AWS emulator, in server mode on a free loopback port (`scripts/moto_fixture.py`),
/// seeded through boto3, with a log of the requests it received.
public final class MotoServer: Sendable {
    /// One request moto received.
    public struct Request: Sendable {
        public var target: String
        public var authorization: String
        public var securityToken: String
    }

    private let server: LineServer
    private let logPath: String
    public var port: Int { server.port }
    public var endpoint: String { "http://127.0.0.1:\(server.port)" }

    /// The credentials and region moto accepts (any work; these are the tests').
    public static let accessKeyID = "AKIDTESTMOTO"
    public static let secretAccessKey = "moto-secret-access-key"
    public static let sessionToken = "moto-session-token"
    public static let region = "eu-west-2"

    /// The AWS variables an extension needs to reach this server.
    public var environment: [String: String] {
        [
            "AWS_ACCESS_KEY_ID": Self.accessKeyID, "AWS_SECRET_ACCESS_KEY": Self.secretAccessKey,
            "AWS_SESSION_TOKEN": Self.sessionToken, "AWS_REGION": Self.region, "AWS_ENDPOINT_URL": endpoint,
        ]
    }

    public init() throws {
        logPath = try Subprocess.temporaryDirectory() + "/moto-requests.ndjson"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        server = try LineServer(command: ["python3", Self.script, "serve", logPath])
    }

    /// Starts a server, runs `body`, stops it.
    public static func with<Result>(_ body: (MotoServer) async throws -> Result) async throws -> Result {
        let server = try MotoServer()
        defer { server.stop() }
        return try await body(server)
    }

    public func stop() { server.stop() }

    /// Creates a secret holding `value` as `SecretString`; returns its ARN.
    @discardableResult
    public func createSecret(name: String, string value: String) throws -> String {
        try seed(["secret-string", endpoint, name, value])
    }

    /// Creates a secret holding `value`'s UTF-8 bytes as `SecretBinary`; returns its ARN.
    @discardableResult
    public func createSecret(name: String, binary value: String) throws -> String {
        try seed(["secret-binary", endpoint, name, value])
    }

    /// Creates a secret holding `bytes`, whatever they are, as `SecretBinary`; returns its ARN.
    @discardableResult
    public func createSecret(name: String, bytes: [UInt8]) throws -> String {
        try seed(["secret-binary-hex", endpoint, name, bytes.map { String(format: "%02x", $0) }.joined()])
    }

    /// Imports a certificate (PEM files) into ACM; returns its ARN.
    public func importCertificate(certificatePath: String, privateKeyPath: String, chainPath: String? = nil) throws -> String {
        try seed(["import-certificate", endpoint, certificatePath, privateKeyPath, chainPath ?? ""])
    }

    /// The requests received so far, in order.
    public var requests: [Request] {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String] else { return nil }
            return Request(
                target: object["target"] ?? "", authorization: object["authorization"] ?? "",
                securityToken: object["securityToken"] ?? "")
        }
    }

    private func seed(_ arguments: [String]) throws -> String {
        let output = try Subprocess.run(["FIXTURE_REGION=\(Self.region)", "python3", Self.script] + arguments)
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static var script: String { Subprocess.repositoryRoot + "/scripts/moto_fixture.py" }
}
