/// The three OTLP/HTTP export paths: an SDK posts each signal to its own path, and the extension
/// forwards it to the same path under its OTLP destination.
public enum OTLPSignal: String, Sendable, Equatable, CaseIterable {
    case traces
    case metrics
    case logs

    /// `/v1/traces`, `/v1/metrics` or `/v1/logs`.
    public var path: String { "/v1/\(rawValue)" }

    /// The signal whose export path `path` is; nil for any other path.
    public init?<Path: StringProtocol>(path: Path) {
        guard let signal = Self.allCases.first(where: { $0.path == path }) else { return nil }
        self = signal
    }
}
