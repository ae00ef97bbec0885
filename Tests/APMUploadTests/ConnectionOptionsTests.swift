@testable import APMUpload
import Testing
import Transport

@Suite("ConnectionOptions")
struct ConnectionOptionsTests {
    static func resolve(_ arguments: [String], environment: [String: String] = [:]) throws -> UploadSettings {
        try ConnectionOptions.parse(ConnectionOptions.joiningDashedValues(arguments)).resolve(ProcessEnvironment(environment))
    }

    static func header(_ settings: UploadSettings) -> String? { settings.authorization?.headerValue }

    @Test func theExtensionsVariablesAreTheDefaults() throws {
        let settings = try Self.resolve([], environment: [
            "ELASTIC_APM_LAMBDA_APM_SERVER": "https://apm.example.com//", "ELASTIC_APM_SECRET_TOKEN": "t",
            "ELASTIC_APM_LAMBDA_VERIFY_SERVER_CERT": "false",
        ])
        #expect(settings.serverURL == "https://apm.example.com")
        #expect(Self.header(settings) == "Bearer t")
        #expect(!settings.tls.verifyPeer)
        #expect(settings.tls.extraCAPEM == nil)
        #expect(settings.timeout == .seconds(30))
        #expect(settings.retry.maxAttempts == 3)
    }

    @Test func anAPIKeyWinsOverASecretToken() throws {
        let environment = ["ELASTIC_APM_LAMBDA_APM_SERVER": "http://h", "ELASTIC_APM_API_KEY": "k", "ELASTIC_APM_SECRET_TOKEN": "t"]
        #expect(Self.header(try Self.resolve([], environment: environment)) == "ApiKey k")
        #expect(Self.header(try Self.resolve(["--api-key", "a", "--secret-token", "b"], environment: environment)) == "ApiKey a")
    }

    @Test func credentialOptionsReplaceTheEnvironmentsEntirely() throws {
        let settings = try Self.resolve(
            ["--server", "http://other", "--secret-token", "mine"],
            environment: ["ELASTIC_APM_LAMBDA_APM_SERVER": "http://h", "ELASTIC_APM_API_KEY": "theirs"])
        #expect(settings.serverURL == "http://other")
        #expect(Self.header(settings) == "Bearer mine")
    }

    @Test func aCAGivenAsPEMTextTurnsLiteralBackslashNIntoNewlines() throws {
        let settings = try Self.resolve(["--server", "https://h", "--ca-pem", #"-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----"#])
        #expect(settings.tls.extraCAPEM == "-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----")
        #expect(settings.tls.verifyPeer)
    }

    @Test(arguments: [
        ([String](), [String: String]()),
        (["--server", "apm.example.com"], [:]),
        (["--server", "https://"], [:]),
        (["--server", "https://h", "--ca-pem", "not a pem"], [:]),
        (["--server", "https://h", "--ca-file", "/nonexistent.pem"], [:]),
        (["--server", "https://h"], ["ELASTIC_APM_LAMBDA_VERIFY_SERVER_CERT": "maybe"]),
    ])
    func badSettingsAreUsageErrors(arguments: [String], environment: [String: String]) {
        #expect {
            _ = try Self.resolve(arguments, environment: environment)
        } throws: { error in
            (error as? UploadFailure)?.status == .usage
        }
    }

    @Test func aPEMAfterCAPEMBecomesItsValue() {
        let pem = "-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----"
        #expect(ConnectionOptions.joiningDashedValues(["info", "--ca-pem", pem, "-v"]) == ["info", "--ca-pem=" + pem, "-v"])
        #expect(ConnectionOptions.joiningDashedValues(["send", "--secret-token", "-x-", "f"]) == ["send", "--secret-token=-x-", "f"])
    }

    @Test func everythingElseIsLeftAlone() {
        let arguments = ["send", "--ca-pem", "plain", "--server", "-", "--", "--ca-pem", "-----"]
        #expect(ConnectionOptions.joiningDashedValues(arguments) == arguments)
    }
}
