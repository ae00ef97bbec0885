/// What ended the wait for an invocation (docs/ARCHITECTURE.md, "Per invocation", step 2).
package enum InvocationEnd: Sendable, Equatable {
    /// The agent posted `flushed=true`.
    case agentFlushed
    /// `platform.runtimeDone` for this request id.
    case runtimeDone(status: String)
    /// `deadlineMs − 200 ms` came first.
    case deadlineReached
}
