/// The first line of an input that is not intake v2 ndjson, and why.
struct NDJSONProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// 1-based; for an empty input, 0.
    let lineNumber: Int
    let reason: String
    /// The start of the offending line, to recognise it by.
    let excerpt: String

    var description: String {
        lineNumber == 0 ? reason : "line \(lineNumber): \(reason)" + (excerpt.isEmpty ? "" : "\n  \(excerpt)")
    }
}
