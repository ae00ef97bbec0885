/// Parses Go's `time.ParseDuration` syntax ("15s", "500ms", "1m30s", "1.5h"), as the Elastic docs
/// specify for the extension's timeouts. Negative durations are refused: a timeout cannot be one.
package enum GoDuration {
    package static func parse(_ text: String) -> Duration? {
        var rest = Substring(text)
        if rest.first == "+" { rest.removeFirst() }
        if rest == "0" { return .zero }
        guard !rest.isEmpty else { return nil }
        var total: Double = 0 // nanoseconds
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, number != ".", let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            guard let scale = unitNanoseconds[String(unit)] else { return nil }
            rest = rest.dropFirst(unit.count)
            total += value * scale
        }
        guard total.isFinite, total < 9.2e18 else { return nil }
        return .nanoseconds(Int64(total))
    }

    private static let unitNanoseconds: [String: Double] = [
        "ns": 1, "us": 1e3, "µs": 1e3, "μs": 1e3, "ms": 1e6, "s": 1e9, "m": 60e9, "h": 3600e9,
    ]
}
