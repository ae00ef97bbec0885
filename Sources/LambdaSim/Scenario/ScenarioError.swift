/// A scenario file that cannot be used, with the file and what is wrong in words a person can act on.
public struct ScenarioError: Error, Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "invalid scenario \(path): \(reason)" }

    /// Turns a decoder's error into "at invocations[2].outcome: …".
    static func describe(_ error: DecodingError) -> String {
        func location(_ path: [any CodingKey]) -> String {
            let text = path.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }.joined()
            return text.isEmpty ? "top level" : String(text.drop { $0 == "." })
        }
        switch error {
        case .dataCorrupted(let context):
            let underlying = context.underlyingError.map { ": \($0.localizedDescription)" } ?? ""
            return "at \(location(context.codingPath)): \(context.debugDescription)\(underlying)"
        case .keyNotFound(let key, let context):
            return "at \(location(context.codingPath)): missing required field \"\(key.stringValue)\""
        case .typeMismatch(let type, let context):
            return "at \(location(context.codingPath)): expected \(type): \(context.debugDescription)"
        case .valueNotFound(let type, let context):
            return "at \(location(context.codingPath)): expected \(type), found null"
        @unknown default:
            return "\(error)"
        }
    }
}
