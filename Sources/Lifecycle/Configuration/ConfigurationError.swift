/// A bad environment variable: which one, what it held, and what was expected.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public let variable: String
    /// What was wrong, without the value when the variable holds a secret.
    public let reason: String

    /// The `Extension.*` error type reported to `/extension/init/error`.
    public var lambdaErrorType: String { "Extension.ConfigurationError" }

    public var description: String { "\(variable): \(reason)" }
}
