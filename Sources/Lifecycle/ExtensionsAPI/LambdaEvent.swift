import JSON

/// What `/extension/event/next` returns.
package enum LambdaEvent: Sendable, Equatable {
    case invoke(Invocation)
    case shutdown(Shutdown)

    package struct Invocation: Sendable, Equatable {
        package var requestID: String
        /// Wall-clock milliseconds since the epoch by which the function must be done.
        package var deadlineMilliseconds: Int64
        package var functionARN: String
        /// The X-Ray trace header value, if any.
        package var traceID: String?
    }

    package struct Shutdown: Sendable, Equatable {
        /// spindown, timeout or failure.
        package var reason: String
        package var deadlineMilliseconds: Int64
    }

    /// Parses the event's JSON body.
    package init(json bytes: [UInt8]) throws(ExtensionsAPIError) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            throw ExtensionsAPIError(.malformedEvent, "event is not JSON: \(error)")
        }
        switch value["eventType"]?.stringValue {
        case "INVOKE":
            guard let requestID = value["requestId"]?.stringValue, let deadline = value["deadlineMs"]?.int64Value else {
                throw ExtensionsAPIError(.malformedEvent, "INVOKE without requestId or deadlineMs")
            }
            self = .invoke(Invocation(
                requestID: requestID, deadlineMilliseconds: deadline,
                functionARN: value["invokedFunctionArn"]?.stringValue ?? "",
                traceID: value["tracing"]?["value"]?.stringValue))
        case "SHUTDOWN":
            self = .shutdown(Shutdown(
                reason: value["shutdownReason"]?.stringValue ?? "spindown",
                deadlineMilliseconds: value["deadlineMs"]?.int64Value ?? WallClock.nowMilliseconds + 2000))
        default:
            throw ExtensionsAPIError(.malformedEvent, "unknown eventType \(value["eventType"]?.serialized ?? "none")")
        }
    }
}
