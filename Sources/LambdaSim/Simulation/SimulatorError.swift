/// Why a simulation could not run at all (a misbehaving extension is a report, not an error).
public struct SimulatorError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate let name: String
        public static let serverFailed = Code(name: "serverFailed")
        public static let launchFailed = Code(name: "launchFailed")
        public static let agentFailed = Code(name: "agentFailed")
        public static let writeFailed = Code(name: "writeFailed")
        public var description: String { name }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
