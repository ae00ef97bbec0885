/// The single key of an intake v2 ndjson line.
enum EventKind: String, CaseIterable, Sendable {
    case metadata, transaction, span, error, metricset, log

    static let namesForMessages = allCases.map(\.rawValue).joined(separator: ", ")
}
