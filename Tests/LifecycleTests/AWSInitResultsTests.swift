@testable import Lifecycle
import Logging
import NIOConcurrencyHelpers
import Testing
import Transport

/// Which credential APM Server gets from the plain variables and the Secrets Manager results.
@Suite("Authorization precedence")
struct AWSInitResultsTests {
    static let base = ["AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "ELASTIC_APM_LAMBDA_APM_SERVER": "https://apm.example.com"]
    static let notFound = AWSError(code: .service, message: "can't find it", status: 400, serviceErrorType: "ResourceNotFoundException")

    private func authorization(
        _ variables: [String: String], apiKey: Result<String, AWSError>? = nil, token: Result<String, AWSError>? = nil
    ) throws -> (String?, [String]) {
        let configuration = try Configuration(environment: Self.base.merging(variables) { $1 })
        let results = AWSInitResults(
            apiKeySecret: apiKey.map { $0.map { Array($0.utf8) } }, secretTokenSecret: token.map { $0.map { Array($0.utf8) } },
            certificateAuthority: nil)
        let lines = CapturedLines()
        let logger = Logger(label: "test") { _ in CapturingHandler(lines: lines) }
        let header = try results.authorization(configuration: configuration, logger: logger)?.headerValue
        return (header, lines.all)
    }

    @Test func plainVariablesWithoutSecretsManager() throws {
        #expect(try authorization(["ELASTIC_APM_API_KEY": "k", "ELASTIC_APM_SECRET_TOKEN": "t"]).0 == "ApiKey k")
        #expect(try authorization(["ELASTIC_APM_SECRET_TOKEN": "t"]).0 == "Bearer t")
        #expect(try authorization([:]).0 == nil)
    }

    @Test func secretsManagerTakesPrecedenceAndTheAPIKeyWins() throws {
        let ids = ["ELASTIC_APM_SECRETS_MANAGER_API_KEY_ID": "k-id", "ELASTIC_APM_SECRETS_MANAGER_SECRET_TOKEN_ID": "t-id"]
        let plain = ["ELASTIC_APM_API_KEY": "plain-k", "ELASTIC_APM_SECRET_TOKEN": "plain-t"]
        #expect(try authorization(ids.merging(plain) { $1 }, apiKey: .success("sm-k"), token: .success("sm-t")).0 == "ApiKey sm-k")
        #expect(try authorization(ids, apiKey: .failure(Self.notFound), token: .success("sm-t")).0 == "Bearer sm-t")
        let tokenOnly = ["ELASTIC_APM_SECRETS_MANAGER_SECRET_TOKEN_ID": "t-id", "ELASTIC_APM_SECRET_TOKEN": "plain-t"]
        #expect(try authorization(tokenOnly, token: .success("sm-t")).0 == "Bearer sm-t")
    }

    @Test func aFailedSecretIsAWarningNamingTheIDAndLeavesThatCredentialOut() throws {
        let (header, lines) = try authorization(
            ["ELASTIC_APM_SECRETS_MANAGER_API_KEY_ID": "apm/key", "ELASTIC_APM_API_KEY": "plain-k"], apiKey: .failure(Self.notFound))
        #expect(header == nil)
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("warning") == true)
        #expect(lines.first?.contains("apm/key") == true)
        #expect(lines.first?.contains("ResourceNotFoundException") == true)
        #expect(lines.first?.contains("plain-k") == false)
    }

    @Test("an empty or whitespace-only secret is an init error naming the variable and the id", arguments: ["", " \n", "\r\n\t"])
    func anEmptySecretIsAnInitError(value: String) throws {
        let error = try #require(throws: UnusableSecret.self) {
            try authorization(["ELASTIC_APM_SECRETS_MANAGER_API_KEY_ID": "apm/k-id", "ELASTIC_APM_API_KEY": "plain-k"], apiKey: .success(value))
        }
        #expect(error.reason == .empty)
        #expect(error.description.contains("ELASTIC_APM_SECRETS_MANAGER_API_KEY_ID"))
        #expect(error.description.contains("\"apm/k-id\""))
        #expect(error.lambdaErrorType == "Extension.SecretsManagerError")
    }

    @Test("surrounding whitespace and line breaks are trimmed; inner spaces kept", arguments: [
        ("token\n", "token"), ("  token \r\n", "token"), ("\ttoken", "token"), ("to ken", "to ken"), ("tökén\n", "tökén"),
    ])
    func credentialsAreTrimmed(stored: String, used: String) throws {
        #expect(try AWSInitResults.credential(from: Array(stored.utf8)).get() == used)
        let ids = ["ELASTIC_APM_SECRETS_MANAGER_SECRET_TOKEN_ID": "t-id"]
        #expect(try authorization(ids, token: .success(stored)).0 == "Bearer \(used)")
    }

    @Test("bytes that are not UTF-8, or that hold control characters, are no credential")
    func unusableBytes() {
        #expect(AWSInitResults.credential(from: [0x74, 0xFF, 0xFE, 0x0A]) == .failure(.notUTF8))
        #expect(AWSInitResults.credential(from: [0xC3]) == .failure(.notUTF8), "a truncated sequence")
        #expect(AWSInitResults.credential(from: Array("key\r\nX-Injected: 1".utf8)) == .failure(.controlCharacters))
        #expect(AWSInitResults.credential(from: Array("a\u{0}b".utf8)) == .failure(.controlCharacters))
        #expect(AWSInitResults.credential(from: Array("a\u{7F}".utf8)) == .failure(.controlCharacters))
    }

    @Test("an unusable secret token fails even when an API key would win: the configuration is wrong either way")
    func unusableSecretTokenBesideAnAPIKey() throws {
        let ids = ["ELASTIC_APM_SECRETS_MANAGER_API_KEY_ID": "k-id", "ELASTIC_APM_SECRETS_MANAGER_SECRET_TOKEN_ID": "t-id"]
        let error = try #require(throws: UnusableSecret.self) { try authorization(ids, apiKey: .success("k"), token: .success("")) }
        #expect(error.id == "t-id")
    }
}

private final class CapturedLines: Sendable {
    private let lines = NIOLockedValueBox<[String]>([])
    var all: [String] { lines.withLockedValue { $0 } }
    func append(_ line: String) { lines.withLockedValue { $0.append(line) } }
}

private struct CapturingHandler: LogHandler {
    let lines: CapturedLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let fields = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        lines.append("\(event.level) \(event.message) \(fields)")
    }
}
