package import JSON

/// The transaction an agent registered, completed by the extension when the agent could not
/// report it (timeout, crash); the rules are in docs/ARCHITECTURE.md, "Proxy transactions". Pure.
package enum ProxyTransaction {
    /// - Parameters:
    ///   - registered: the `transaction` object the agent registered.
    ///   - result: the runtimeDone status or the shutdown reason.
    ///   - durationMilliseconds: from the invocation's start to runtimeDone (or the deadline).
    package static func event(registered: JSONObject, result: String, durationMilliseconds: Double) -> JSONValue {
        var transaction = registered
        transaction["result"] = .string(result)
        transaction["outcome"] = .string(result == "success" ? "success" : "failure")
        transaction["duration"] = .number(max(0, durationMilliseconds))
        if transaction["span_count"] == nil {
            transaction["span_count"] = .object(["started": .number(0)])
        }
        return .object(["transaction": .object(transaction)])
    }
}
