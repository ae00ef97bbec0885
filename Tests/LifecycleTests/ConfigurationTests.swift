@testable import Lifecycle
import Testing

@Suite("Configuration")
struct ConfigurationTests {
    static let base = ["AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "ELASTIC_APM_LAMBDA_APM_SERVER": "https://apm.example.com:8200/"]

    func configuration(_ extra: [String: String]) throws(ConfigurationError) -> Configuration {
        try Configuration(environment: Self.base.merging(extra) { $1 })
    }

    @Test("defaults when only the required variables are set")
    func defaults() throws {
        let configuration = try configuration([:])
        #expect(configuration.apmServerURL == "https://apm.example.com:8200")
        #expect(configuration.otlpEndpoint == "https://apm.example.com:8200", "OTLP goes to APM Server by default")
        #expect(configuration.receiverPort == 8200)
        #expect(configuration.receiverHost == "127.0.0.1")
        #expect(configuration.receiverTimeout == .seconds(15))
        #expect(configuration.forwarderTimeout == .seconds(3))
        #expect(configuration.sendStrategy == .syncFlush)
        #expect(configuration.agentDataBufferSize == 100)
        #expect(configuration.logLevel == .info)
        #expect(configuration.captureLogs)
        #expect(!configuration.disableTelemetry)
        #expect(configuration.verifyServerCertificate)
        #expect(configuration.warnings.isEmpty)
    }

    @Test("every variable is read")
    func everyVariable() throws {
        let configuration = try configuration([
            "ELASTIC_APM_API_KEY": "key", "ELASTIC_APM_SECRET_TOKEN": "token",
            "ELASTIC_APM_DATA_RECEIVER_SERVER_PORT": "8201", "ELASTIC_APM_DATA_RECEIVER_TIMEOUT": "1m30s",
            "ELASTIC_APM_DATA_FORWARDER_TIMEOUT": "500ms", "ELASTIC_APM_SEND_STRATEGY": "Background",
            "ELASTIC_APM_LAMBDA_AGENT_DATA_BUFFER_SIZE": "7", "ELASTIC_APM_LOG_LEVEL": "WARN",
            "ELASTIC_APM_LAMBDA_CAPTURE_LOGS": "false", "ELASTIC_APM_LAMBDA_DISABLE_LOGS_API": "true",
            "ELASTIC_APM_LAMBDA_VERIFY_SERVER_CERT": "false",
            "ELASTIC_APM_LAMBDA_SERVER_CA_CERT_PEM": "-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END CERTIFICATE-----",
        ])
        #expect(configuration.apiKey == "key" && configuration.secretToken == "token")
        #expect(configuration.receiverPort == 8201)
        #expect(configuration.receiverTimeout == .seconds(90))
        #expect(configuration.forwarderTimeout == .milliseconds(500))
        #expect(configuration.sendStrategy == .background)
        #expect(configuration.agentDataBufferSize == 7)
        #expect(configuration.logLevel == .warning)
        #expect(!configuration.captureLogs && configuration.disableTelemetry && !configuration.verifyServerCertificate)
        #expect(configuration.serverCAPEM == "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----")
    }

    @Test(
        "bad values name the variable",
        arguments: [
            ("ELASTIC_APM_LAMBDA_APM_SERVER", "apm.example.com"),
            ("ELASTIC_APM_LAMBDA_APM_SERVER", ""),
            ("ELASTIC_APM_LAMBDA_APM_SERVER", "https://"),
            ("ELASTIC_APM_LAMBDA_APM_SERVER", "http:///path"),
            ("ELASTIC_APM_LAMBDA_APM_SERVER", "ftp://apm.example.com"),
            ("ELASTIC_APM_LAMBDA_OTLP_ENDPOINT", "otlp.example.com"),
            ("ELASTIC_APM_LAMBDA_OTLP_ENDPOINT", "https://"),
            ("ELASTIC_APM_LAMBDA_OTLP_ENDPOINT", "grpc://otlp.example.com:4317"),
            ("ELASTIC_APM_DATA_RECEIVER_TIMEOUT", "15"),
            ("ELASTIC_APM_DATA_FORWARDER_TIMEOUT", "fast"),
            ("ELASTIC_APM_LAMBDA_AGENT_DATA_BUFFER_SIZE", "lots"),
            ("ELASTIC_APM_LAMBDA_VERIFY_SERVER_CERT", "maybe"),
            ("ELASTIC_APM_DATA_RECEIVER_SERVER_PORT", "99999"),
            ("AWS_LAMBDA_RUNTIME_API", ""),
        ])
    func badValues(variable: String, value: String) {
        let error = #expect(throws: ConfigurationError.self) { try configuration([variable: value]) }
        #expect(error?.variable == variable)
    }

    @Test("ELASTIC_APM_LAMBDA_OTLP_ENDPOINT points OTLP elsewhere, its trailing slashes removed; APM Server stays")
    func otlpEndpoint() throws {
        let configuration = try configuration(["ELASTIC_APM_LAMBDA_OTLP_ENDPOINT": " https://otlp.example.com:443// "])
        #expect(configuration.otlpEndpoint == "https://otlp.example.com:443")
        #expect(configuration.apmServerURL == "https://apm.example.com:8200")
    }

    @Test("deprecated integer seconds apply only when the new variable is unset, with a warning")
    func deprecatedSeconds() throws {
        let old = try configuration(["ELASTIC_APM_DATA_FORWARDER_TIMEOUT_SECONDS": "7"])
        #expect(old.forwarderTimeout == .seconds(7))
        #expect(old.warnings.contains { $0.contains("ELASTIC_APM_DATA_FORWARDER_TIMEOUT_SECONDS is deprecated") })
        let both = try configuration(["ELASTIC_APM_DATA_FORWARDER_TIMEOUT_SECONDS": "7", "ELASTIC_APM_DATA_FORWARDER_TIMEOUT": "2s"])
        #expect(both.forwarderTimeout == .seconds(2))
    }

    @Test("lenient variables fall back to their default with a warning")
    func lenientFallbacks() throws {
        let configuration = try configuration([
            "ELASTIC_APM_SEND_STRATEGY": "sometimes", "ELASTIC_APM_LAMBDA_CAPTURE_LOGS": "perhaps", "ELASTIC_APM_LOG_LEVEL": "loud",
        ])
        #expect(configuration.sendStrategy == .syncFlush)
        #expect(configuration.captureLogs)
        #expect(configuration.logLevel == .info)
        #expect(configuration.warnings.count == 3)
    }

    @Test("secrets never appear in errors or warnings")
    func secretsStayOut() throws {
        let configuration = try configuration(["ELASTIC_APM_API_KEY": "sekrit-key", "ELASTIC_APM_SECRET_TOKEN": "sekrit-token"])
        #expect(!configuration.warnings.joined().contains("sekrit"))
    }

    @Test(
        "Go durations",
        arguments: [
            ("15s", Duration.seconds(15)), ("500ms", .milliseconds(500)), ("1m30s", .seconds(90)), ("1.5h", .seconds(5400)),
            ("2us", .microseconds(2)), ("0", .zero), ("+3s", .seconds(3)), ("100ns", .nanoseconds(100)),
        ])
    func goDurations(text: String, expected: Duration) {
        #expect(GoDuration.parse(text) == expected)
    }

    @Test("malformed Go durations", arguments: ["", "15", "s", "1.5", "-1s", "1x", "1s2", ".s", "1e3s", "9999999999h"])
    func malformedGoDurations(text: String) {
        #expect(GoDuration.parse(text) == nil)
    }
}
