/// What the function's OpenTelemetry SDK does in one invocation: the simulated function then runs
/// `scripts/otel_function.py` (the real OpenTelemetry Python SDK with its OTLP/HTTP exporters,
/// pointed at the extension's receiver) as a child process, after its agent's requests and before
/// the runtime reports done. In a scenario: `"otel": {"spans": 3, "metrics": true, "logs": 2}`.
public struct OTelPlan: Codable, Sendable, Equatable {
    /// Spans in the trace: a root `otel handler <request id>` and children `otel span <n> <request id>`.
    public var spans: Int
    /// Whether it also exports one data point of the counter `otel.invocations`, with the
    /// attribute `faas.invocation_id` = the request id.
    public var metrics: Bool
    /// Log records `otel log <n> <request id>`.
    public var logs: Int
    /// Whether the exporters gzip their bodies (`OTEL_EXPORTER_OTLP_COMPRESSION=gzip`).
    public var gzip: Bool

    public init(spans: Int = 3, metrics: Bool = true, logs: Int = 2, gzip: Bool = false) {
        self.spans = spans
        self.metrics = metrics
        self.logs = logs
        self.gzip = gzip
    }

    enum CodingKeys: String, CodingKey {
        case spans, metrics, logs, gzip
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = OTelPlan()
        spans = try container.decodeIfPresent(Int.self, forKey: .spans) ?? defaults.spans
        metrics = try container.decodeIfPresent(Bool.self, forKey: .metrics) ?? defaults.metrics
        logs = try container.decodeIfPresent(Int.self, forKey: .logs) ?? defaults.logs
        gzip = try container.decodeIfPresent(Bool.self, forKey: .gzip) ?? defaults.gzip
    }

    /// The names the SDK gives what it exports for `requestID`, which the tests look for.
    public func spanNames(requestID: String) -> [String] {
        spans == 0 ? [] : ["otel handler \(requestID)"] + (1..<spans).map { "otel span \($0) \(requestID)" }
    }

    public func logBodies(requestID: String) -> [String] {
        logs == 0 ? [] : (1...logs).map { "otel log \($0) \(requestID)" }
    }
}
