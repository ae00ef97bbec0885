import JSON

/// What `/event/next` answers.
enum PlatformEvent: Sendable, Equatable {
    case invoke(requestID: String, deadlineMs: Int64, functionARN: String, traceID: String)
    case shutdown(reason: ShutdownReason, deadlineMs: Int64)
    /// The Extensions API fails: `/event/next` answers this status with an error body.
    case failure(status: Int)

    var json: String {
        let object: JSONObject
        switch self {
        case .failure:
            object = ["errorMessage": .string("simulated Extensions API failure"), "errorType": .string("Extension.Unknown")]
        case .invoke(let requestID, let deadlineMs, let functionARN, let traceID):
            object = [
                "eventType": .string("INVOKE"),
                "deadlineMs": .number(Double(deadlineMs)),
                "requestId": .string(requestID),
                "invokedFunctionArn": .string(functionARN),
                "tracing": .object(["type": .string("X-Amzn-Trace-Id"), "value": .string(traceID)]),
            ]
        case .shutdown(let reason, let deadlineMs):
            object = [
                "eventType": .string("SHUTDOWN"),
                "shutdownReason": .string(reason.rawValue),
                "deadlineMs": .number(Double(deadlineMs)),
            ]
        }
        var writer = JSONWriter()
        writer.write(.object(object))
        return writer.text
    }
}
