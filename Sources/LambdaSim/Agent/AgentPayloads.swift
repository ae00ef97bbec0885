import JSON

/// The APM data a Node.js agent in the function would send for one invocation, as intake v2
/// events (every line validates against the schemas in `spec/apm-intake-v2`). Ids are
/// derived from the invocation's index, so runs are reproducible.
struct AgentPayloads: Sendable {
    let scenario: Scenario
    let index: Int
    let requestID: String
    let plan: InvocationPlan
    /// When the handler started, µs since 1970.
    let startMicroseconds: Int64
    /// Which worker process's agent sends it (Managed Instances run several); 0: the only one.
    var agentProcess = 0

    var traceID: String { Self.hex(UInt64(index + 1), width: 16) + Self.hex(0x5157_0000_0000_0000 | UInt64(index), width: 16) }
    var transactionID: String { Self.hex(0x7A00_0000_0000_0000 | UInt64(index + 1), width: 16) }

    func spanID(_ number: Int) -> String { Self.hex(0x5B00_0000_0000_0000 | UInt64(index) << 16 | UInt64(number + 1), width: 16) }

    var metadata: JSONValue {
        .object(["metadata": .object([
            "service": .object([
                "name": .string(scenario.functionName),
                "version": .string("$LATEST"),
                "environment": .string("lambda-sim"),
                "agent": .object([
                    "name": .string("nodejs"), "version": .string("4.7.0"), "activation_method": .string("aws-lambda-layer"),
                ]),
                "language": .object(["name": .string("javascript")]),
                "runtime": .object(["name": .string("node"), "version": .string("20.11.0")]),
                "framework": .object(["name": .string("AWS Lambda"), "version": .string("")]),
                "node": .object(["configured_name": .string("worker-\(agentProcess)")]),
            ]),
            "process": .object(["pid": .number(Double(8 + agentProcess)), "title": .string("/var/lang/bin/node")]),
            "cloud": .object([
                "provider": .string("aws"), "region": .string("us-east-1"),
                "service": .object(["name": .string("lambda")]),
                "account": .object(["id": .string("123456789012")]),
            ]),
        ])])
    }

    /// What `/register/transaction` carries: the transaction as it starts.
    var registeredTransaction: JSONValue { transaction(durationMs: 0, finished: false) }

    /// The invocation's events after the handler ran for `durationMs`: spans, an error for an
    /// `error` outcome, an optional metricset, and the transaction last (agents end it last).
    func events(durationMs: Double) -> [JSONValue] {
        var events: [JSONValue] = []
        let spanDuration = plan.spans > 0 ? durationMs / Double(plan.spans + 1) : 0
        for number in 0..<plan.spans {
            events.append(.object(["span": .object([
                "id": .string(spanID(number)), "trace_id": .string(traceID),
                "parent_id": .string(transactionID), "transaction_id": .string(transactionID),
                "name": .string("SELECT FROM orders"), "type": .string("db"), "subtype": .string("postgresql"),
                "action": .string("query"),
                "timestamp": .number((Double(startMicroseconds) + Double(number) * spanDuration * 1000).rounded()),
                "duration": .number(Self.rounded(spanDuration)), "outcome": .string("success"), "sync": .bool(false),
            ])]))
        }
        if plan.outcome == .error {
            events.append(.object(["error": .object([
                "id": .string(Self.hex(0xE000_0000_0000_0000 | UInt64(index), width: 16) + Self.hex(1, width: 16)),
                "trace_id": .string(traceID), "transaction_id": .string(transactionID), "parent_id": .string(transactionID),
                "timestamp": .number((Double(startMicroseconds) + durationMs * 1000).rounded()),
                "culprit": .string("handler (index.js)"),
                "exception": .object(["message": .string("simulated handler failure"), "type": .string("Error"), "handled": .bool(false)]),
                "transaction": .object(["type": .string("request"), "sampled": .bool(true)]),
            ])]))
        }
        if plan.metricset {
            events.append(.object(["metricset": .object([
                "timestamp": .number(Double(startMicroseconds)),
                "samples": .object([
                    "system.cpu.total.norm.pct": .object(["value": .number(0.12)]),
                    "nodejs.eventloop.delay.avg.ms": .object(["value": .number(0.8)]),
                ]),
            ])]))
        }
        events.append(transaction(durationMs: durationMs, finished: true))
        return events
    }

    /// A span of its own for the `number`th extra payload (`concurrentPosts`).
    func extraSpan(_ number: Int) -> JSONValue {
        .object(["span": .object([
            "id": .string(spanID(0x1000 + number)), "trace_id": .string(traceID), "parent_id": .string(transactionID),
            "transaction_id": .string(transactionID), "name": .string("extra \(number)"), "type": .string("custom"),
            "timestamp": .number(Double(startMicroseconds)), "duration": .number(1),
        ])])
    }

    private func transaction(durationMs: Double, finished: Bool) -> JSONValue {
        let failed = plan.outcome != .success
        var transaction: JSONObject = [
            "id": .string(transactionID), "trace_id": .string(traceID),
            "name": .string(scenario.functionName), "type": .string("request"),
            "timestamp": .number(Double(startMicroseconds)),
            "duration": .number(Self.rounded(durationMs)),
            "span_count": .object(["started": .number(Double(finished ? plan.spans : 0)), "dropped": .number(0)]),
            "sampled": .bool(true),
            "faas": .object([
                "execution": .string(requestID), "id": .string(scenario.functionARN), "coldstart": .bool(index == 0),
                "name": .string(scenario.functionName), "version": .string("$LATEST"),
                "trigger": .object(["type": .string("other")]),
            ]),
        ]
        if finished {
            transaction["outcome"] = .string(failed ? "failure" : "success")
            transaction["result"] = .string(failed ? "failure" : "success")
        }
        return .object(["transaction": .object(transaction)])
    }

    private static func rounded(_ milliseconds: Double) -> Double { (milliseconds * 1000).rounded() / 1000 }

    private static func hex(_ value: UInt64, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
