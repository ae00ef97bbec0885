/// A failure talking to the Lambda Extensions API.
package struct ExtensionsAPIError: Error, Sendable, CustomStringConvertible {
    package enum Code: Sendable {
        /// The API could not be reached or broke the connection.
        case unreachable
        /// The API answered with an unexpected status.
        case rejected
        /// The event body was not what Lambda sends.
        case malformedEvent
    }

    package let code: Code
    package let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { message }
}
