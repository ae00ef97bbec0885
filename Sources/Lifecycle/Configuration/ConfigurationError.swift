/// A bad environment variable: which one, what it held, and what was expected.
package struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    package let variable: String
    /// What was wrong, without the value when the variable holds a secret.
    package let reason: String

    /// The `Extension.*` error type reported to `/extension/init/error`.
    package var lambdaErrorType: String { "Extension.ConfigurationError" }

    package var description: String { "\(variable): \(reason)" }
}
