/// What happened in one invocation. Times are milliseconds since the simulation started.
public struct InvocationReport: Codable, Sendable, Equatable {
    /// 0-based.
    public var index: Int
    public var requestID: String
    /// What the scenario had the function do.
    public var outcome: InvocationOutcome
    /// The status in `platform.runtimeDone`.
    public var runtimeDoneStatus: String
    /// The sink's behaviour during the invocation.
    public var sinkBehaviour: String
    /// When INVOKE was delivered.
    public var invokedAtMs: Double
    /// The INVOKE's `deadlineMs` (epoch milliseconds).
    public var deadlineMs: Int64
    /// How long the handler ran.
    public var durationMs: Double
    /// When the agent sent `flushed=true`; nil when it did not.
    public var flushedAtMs: Double?
    /// When the platform emitted `platform.runtimeDone`.
    public var runtimeDoneAtMs: Double
    /// When the extension called `/event/next` to say it was done; nil when it did not in time
    /// (by the deadline plus a second), which Lambda would treat as a timeout.
    public var nextCalledAtMs: Double?
    /// From the function being done (the earlier of the agent's flush and runtimeDone) to the
    /// extension's next `/event/next`: what the extension added to the invocation. Negative when
    /// the extension finished before the function (its deadline timer).
    public var addedLatencyMs: Double?
    /// The agent's requests to the extension's receiver.
    public var agentRequests: [AgentRequest]
}
