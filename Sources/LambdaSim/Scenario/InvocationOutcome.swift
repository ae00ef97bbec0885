/// How an invocation ends.
public enum InvocationOutcome: String, Codable, Sendable {
    /// The handler returns; runtimeDone `success`.
    case success
    /// The handler throws; the agent reports the error; runtimeDone `error`.
    case error
    /// The handler runs past its deadline without reporting; runtimeDone `timeout`, then
    /// SHUTDOWN `timeout` (Lambda resets the environment).
    case timeout
    /// The runtime dies without reporting; runtimeDone `failure`, then SHUTDOWN `failure`.
    case crash

    /// Whether the environment is reset after it, which ends the simulation.
    var resetsEnvironment: Bool { self == .timeout || self == .crash }

    var runtimeDoneStatus: String {
        switch self {
        case .success: "success"
        case .error: "error"
        case .timeout: "timeout"
        case .crash: "failure"
        }
    }
}
