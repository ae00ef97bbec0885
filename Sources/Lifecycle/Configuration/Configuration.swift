package import Logging

/// The extension's settings, read from the environment exactly as the Elastic docs name them.
package struct Configuration: Sendable {
    /// APM Server base URL, without a trailing slash.
    package var apmServerURL: String
    /// Where OTLP exports go (`/v1/traces`, … are appended), without a trailing slash: APM Server
    /// unless `ELASTIC_APM_LAMBDA_OTLP_ENDPOINT` names another OTLP/HTTP endpoint.
    package var otlpEndpoint: String
    /// `Authorization: ApiKey …`, preferred over the secret token.
    package var apiKey: String?
    /// `Authorization: Bearer …`.
    package var secretToken: String?
    /// Secrets Manager ids whose values replace the two above.
    package var apiKeySecretID: String?
    package var secretTokenSecretID: String?
    /// The agent receiver's port.
    package var receiverPort: Int = 8200
    /// The agent receiver's host; loopback unless configured otherwise.
    package var receiverHost: String = "127.0.0.1"
    /// Read and write timeout of the agent receiver.
    package var receiverTimeout: Duration = .seconds(15)
    /// Timeout of one send to APM Server.
    package var forwarderTimeout: Duration = .seconds(3)
    package var sendStrategy: SendStrategy = .syncFlush
    /// How many agent payloads may wait to be delivered.
    package var agentDataBufferSize: Int = 100
    package var logLevel: Logger.Level = .info
    /// Logging turned off entirely.
    package var loggingOff = false
    /// Forward the function's logs.
    package var captureLogs = true
    /// No telemetry subscription at all.
    package var disableTelemetry = false
    /// Verify APM Server's certificate chain and host.
    package var verifyServerCertificate = true
    /// Extra CA, PEM, from `ELASTIC_APM_LAMBDA_SERVER_CA_CERT_PEM`.
    package var serverCAPEM: String?
    /// Extra CA file, from `ELASTIC_APM_SERVER_CA_CERT_FILE`.
    package var serverCAFile: String?
    /// Extra CA from ACM, by ARN.
    package var serverCAACMID: String?
    /// `host:port` of the Extensions and Telemetry APIs.
    package var runtimeAPI: String
    /// The function's own `ELASTIC_APM_SERVER_URL`, to warn when it bypasses the extension.
    package var agentServerURL: String?
    /// The function's OTLP exporter endpoints (`OTEL_EXPORTER_OTLP_ENDPOINT` and the per-signal
    /// ones), which an extension sees as the function does: one that points at the receiver says an
    /// OpenTelemetry SDK will export here.
    package var otelExporterEndpoints: [String] = []
    /// How Lambda initialised this environment (`AWS_LAMBDA_INITIALIZATION_TYPE`): `on-demand`,
    /// `provisioned-concurrency`, `snap-start` or `lambda-managed-instances`; nil when not set.
    package var initializationType: String?
    /// Lambda Managed Instances: many invocations at once, never frozen, and no INVOKE events for
    /// extensions (they register for SHUTDOWN alone).
    package var isManagedInstances: Bool { initializationType == "lambda-managed-instances" }
    /// Lambda SnapStart: init runs once, is snapshotted, and copies of it are restored later with
    /// every outside connection dead; the first event a copy sees comes after its restore.
    package var isSnapStart: Bool { initializationType == "snap-start" }
    /// Warnings found while reading (deprecated or unparsable-with-default variables).
    package var warnings: [String] = []

    /// Reads every variable; a bad value throws naming the variable and what was expected.
    package init(environment: [String: String]) throws(ConfigurationError) {
        func value(_ name: String) -> String? {
            guard let raw = environment[name]?.trimmingSpaces, !raw.isEmpty else { return nil }
            return raw
        }

        guard let runtimeAPI = value(Variable.runtimeAPI) else {
            throw ConfigurationError(variable: Variable.runtimeAPI, reason: "not set; the extension runs only inside Lambda (or lambda-sim)")
        }
        self.runtimeAPI = runtimeAPI

        guard let server = value(Variable.apmServer) else {
            throw ConfigurationError(variable: Variable.apmServer, reason: "not set; expected the APM Server URL, e.g. https://apm.example.com:8200")
        }
        apmServerURL = try Self.baseURL(server, variable: Variable.apmServer)
        if let otlp = value(Variable.otlpEndpoint) {
            otlpEndpoint = try Self.baseURL(otlp, variable: Variable.otlpEndpoint)
        } else {
            otlpEndpoint = apmServerURL
        }

        apiKey = value(Variable.apiKey)
        secretToken = value(Variable.secretToken)
        apiKeySecretID = value(Variable.apiKeySecretID)
        secretTokenSecretID = value(Variable.secretTokenSecretID)
        agentServerURL = value(Variable.agentServerURL)
        otelExporterEndpoints = Variable.otelExporterEndpoints.compactMap(value)
        initializationType = value(Variable.initializationType)

        if let port = value(Variable.receiverPort) {
            guard let number = Int(port), (1...65535).contains(number) else {
                throw ConfigurationError(variable: Variable.receiverPort, reason: "expected a port number 1-65535, got \"\(port)\"")
            }
            receiverPort = number
        }
        if let host = value(Variable.receiverHost) { receiverHost = host }

        receiverTimeout = try Self.duration(
            environment: value, name: Variable.receiverTimeout, deprecated: Variable.receiverTimeoutSeconds,
            default: receiverTimeout, warnings: &warnings)
        forwarderTimeout = try Self.duration(
            environment: value, name: Variable.forwarderTimeout, deprecated: Variable.forwarderTimeoutSeconds,
            default: forwarderTimeout, warnings: &warnings)

        if let strategy = value(Variable.sendStrategy) {
            if let parsed = SendStrategy(rawValue: strategy.lowercased()) {
                sendStrategy = parsed
            } else {
                warnings.append("\(Variable.sendStrategy)=\"\(strategy)\" is not syncflush or background; using syncflush")
            }
        }

        if let size = value(Variable.bufferSize) {
            guard let number = Int(size), number >= 0 else {
                throw ConfigurationError(variable: Variable.bufferSize, reason: "expected a non-negative integer, got \"\(size)\"")
            }
            agentDataBufferSize = number
        }

        if let level = value(Variable.logLevel) {
            switch Self.logLevel(named: level) {
            case .level(let parsed): logLevel = parsed
            case .off: loggingOff = true
            case .unknown: warnings.append("\(Variable.logLevel)=\"\(level)\" is not a log level; using info")
            }
        }

        if let capture = value(Variable.captureLogs) {
            if let flag = Self.bool(capture) {
                captureLogs = flag
            } else {
                warnings.append("\(Variable.captureLogs)=\"\(capture)\" is not true or false; capturing logs")
            }
        }
        if let disable = value(Variable.disableLogsAPI) {
            if let flag = Self.bool(disable) {
                disableTelemetry = flag
            } else {
                warnings.append("\(Variable.disableLogsAPI)=\"\(disable)\" is not true or false; subscribing to telemetry")
            }
        }
        if let verify = value(Variable.verifyServerCert) {
            guard let flag = Self.bool(verify) else {
                throw ConfigurationError(variable: Variable.verifyServerCert, reason: "expected true or false, got \"\(verify)\"")
            }
            verifyServerCertificate = flag
        }
        // The variable carries literal "\n" sequences where the PEM has newlines.
        serverCAPEM = value(Variable.caCertPEM)?.replacingLiteralNewlines
        serverCAFile = value(Variable.caCertFile)
        serverCAACMID = value(Variable.caCertACMID)
    }

    /// Whether one of the function's OTLP exporter endpoints is the receiver on `port`.
    package func otelExporterPointsAtReceiver(port: Int) -> Bool {
        otelExporterEndpoints.contains { endpoint in
            let lowered = endpoint.lowercased()
            return ["localhost:\(port)", "127.0.0.1:\(port)"].contains { lowered.containsText($0) }
        }
    }

    /// An `http://` or `https://` URL with a host, its trailing slashes removed.
    private static func baseURL(_ text: String, variable: String) throws(ConfigurationError) -> String {
        var url = text
        let lowered = url.lowercased()
        let scheme = lowered.hasPrefix("https://") ? "https://" : lowered.hasPrefix("http://") ? "http://" : nil
        guard let scheme, url.count > scheme.count, !url.dropFirst(scheme.count).hasPrefix("/") else {
            throw ConfigurationError(variable: variable, reason: "expected an http:// or https:// URL, got \"\(url)\"")
        }
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }

    private static func duration(
        environment value: (String) -> String?, name: String, deprecated: String, default fallback: Duration,
        warnings: inout [String]
    ) throws(ConfigurationError) -> Duration {
        if let text = value(name) {
            guard let duration = GoDuration.parse(text) else {
                throw ConfigurationError(variable: name, reason: "expected a duration such as 15s, 500ms or 1m30s, got \"\(text)\"")
            }
            return duration
        }
        if let seconds = value(deprecated) {
            guard let number = Int(seconds), number >= 0 else {
                throw ConfigurationError(variable: deprecated, reason: "expected whole seconds, got \"\(seconds)\"")
            }
            warnings.append("\(deprecated) is deprecated; set \(name)=\(number)s instead")
            return .seconds(number)
        }
        return fallback
    }

    package enum LogLevelSetting: Equatable, Sendable {
        case level(Logger.Level)
        case off
        case unknown
    }

    /// trace, debug, info, warning (warn), error, critical, off; any case.
    package static func logLevel(named name: String) -> LogLevelSetting {
        switch name.trimmingSpaces.lowercased() {
        case "trace": .level(.trace)
        case "debug": .level(.debug)
        case "info": .level(.info)
        case "warning", "warn": .level(.warning)
        case "error": .level(.error)
        case "critical": .level(.critical)
        case "off": .off
        default: .unknown
        }
    }

    static func bool(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "1", "t", "yes": true
        case "false", "0", "f", "no": false
        default: nil
        }
    }

    /// The variables' names, fixed by the Elastic docs.
    package enum Variable {
        package static let apmServer = "ELASTIC_APM_LAMBDA_APM_SERVER"
        package static let otlpEndpoint = "ELASTIC_APM_LAMBDA_OTLP_ENDPOINT"
        package static let apiKey = "ELASTIC_APM_API_KEY"
        package static let secretToken = "ELASTIC_APM_SECRET_TOKEN"
        package static let apiKeySecretID = "ELASTIC_APM_SECRETS_MANAGER_API_KEY_ID"
        package static let secretTokenSecretID = "ELASTIC_APM_SECRETS_MANAGER_SECRET_TOKEN_ID"
        package static let receiverPort = "ELASTIC_APM_DATA_RECEIVER_SERVER_PORT"
        package static let receiverHost = "ELASTIC_APM_DATA_RECEIVER_SERVER_HOST"
        package static let receiverTimeout = "ELASTIC_APM_DATA_RECEIVER_TIMEOUT"
        package static let receiverTimeoutSeconds = "ELASTIC_APM_DATA_RECEIVER_TIMEOUT_SECONDS"
        package static let forwarderTimeout = "ELASTIC_APM_DATA_FORWARDER_TIMEOUT"
        package static let forwarderTimeoutSeconds = "ELASTIC_APM_DATA_FORWARDER_TIMEOUT_SECONDS"
        package static let sendStrategy = "ELASTIC_APM_SEND_STRATEGY"
        package static let bufferSize = "ELASTIC_APM_LAMBDA_AGENT_DATA_BUFFER_SIZE"
        package static let logLevel = "ELASTIC_APM_LOG_LEVEL"
        package static let captureLogs = "ELASTIC_APM_LAMBDA_CAPTURE_LOGS"
        package static let disableLogsAPI = "ELASTIC_APM_LAMBDA_DISABLE_LOGS_API"
        package static let verifyServerCert = "ELASTIC_APM_LAMBDA_VERIFY_SERVER_CERT"
        package static let caCertPEM = "ELASTIC_APM_LAMBDA_SERVER_CA_CERT_PEM"
        package static let caCertFile = "ELASTIC_APM_SERVER_CA_CERT_FILE"
        package static let caCertACMID = "ELASTIC_APM_SERVER_CA_CERT_ACM_ID"
        package static let runtimeAPI = "AWS_LAMBDA_RUNTIME_API"
        package static let agentServerURL = "ELASTIC_APM_SERVER_URL"
        package static let initializationType = "AWS_LAMBDA_INITIALIZATION_TYPE"
        package static let otelExporterEndpoints = [
            "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
            "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
        ]
    }
}

extension String {
    var trimmingSpaces: String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }

    var replacingLiteralNewlines: String {
        var result = ""
        var rest = Substring(self)
        while let range = rest.rangeOfText("\\n") {
            result += rest[..<range.lowerBound]
            result += "\n"
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
