/// A failure talking to the Lambda Extensions API.
public struct ExtensionsAPIError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable {
        /// The API could not be reached or broke the connection.
        case unreachable
        /// The API answered with an unexpected status.
        case rejected
        /// The event body was not what Lambda sends.
        case malformedEvent
    }

    public let code: Code
    public let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
