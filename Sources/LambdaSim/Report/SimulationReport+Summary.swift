import Foundation

extension SimulationReport {
    /// A readable account of the run: init, each invocation (what reached the APM Server while
    /// it ran, and the latency the extension added), shutdown, figures and problems.
    public var summary: String {
        var lines: [String] = []
        let registration =
            registered
            ? "registered as \(extensionName ?? "?") after \(Self.ms(initStartToRegisterMs)); first /event/next \(Self.ms(registerToFirstNextMs)) later"
            : "never registered"
        lines.append("init: \(registration)")
        lines.append("telemetry: \(telemetrySubscription.map { "subscribed via the \($0) API to \(telemetryTypes.joined(separator: ", "))" } ?? "not subscribed"), \(telemetryDeliveries.count) batches delivered")
        for error in initErrors { lines.append("init error: \(error.type ?? "-") \(error.body)") }

        for invocation in invocations where overlappingInvocations {
            // No INVOKE and no /event/next per invocation: what counts is how soon its data shipped.
            let shipped = sinkRequests.first { request in
                request.events.contains { $0.hasPrefix("{\"transaction\"") && $0.contains(invocation.requestID) }
            }
            let (reference, endedAt) = invocation.flushedAtMs.map { ("its agent's flush", $0) } ?? ("its end", invocation.runtimeDoneAtMs)
            let delivery = shipped.map { String(format: "its transaction reached the sink %.1f ms after \(reference)", $0.atMs - endedAt) }
            lines.append(
                "invocation \(invocation.index + 1) \(invocation.requestID) \(invocation.outcome.rawValue): "
                    + String(format: "ran %.1f ms; ", invocation.durationMs) + (delivery ?? "no transaction of its own reached the sink"))
        }
        for invocation in invocations where !overlappingInvocations {
            let received = Self.countsByType(sinkRequests.filter { $0.invocation == invocation.index })
            let latency = invocation.addedLatencyMs.map { String(format: "%.1f ms", $0) } ?? "never"
            let withOTel = invocation.agentRequests.contains { $0.path == "otel_function.py" }
            let reference =
                withOTel ? "runtimeDone" : invocation.flushedAtMs.map { $0 <= invocation.runtimeDoneAtMs ? "flush" : "runtimeDone" } ?? "runtimeDone"
            lines.append(
                "invocation \(invocation.index + 1) \(invocation.requestID) \(invocation.outcome.rawValue), sink \(invocation.sinkBehaviour): "
                    + "sink got \(received.isEmpty ? "nothing" : received); \(reference) -> /event/next \(latency)")
            let failedAgent = invocation.agentRequests.filter { $0.status.map { $0 >= 300 } ?? true }
            for request in failedAgent {
                lines.append("  agent \(request.path): \(request.status.map(String.init) ?? request.error ?? "no answer")")
            }
        }
        let atShutdown = Self.countsByType(sinkRequests.filter { $0.invocation == nil })
        if let shutdownReason {
            let scope = overlappingInvocations ? "sink got in all" : "sink got"
            lines.append("shutdown (\(shutdownReason.rawValue)): \(scope) \(atShutdown.isEmpty ? "nothing" : atShutdown)")
        }
        lines.append("proxy transactions seen: \(proxyTransactionCount)")
        lines.append("exit: \(exitCode.map { "status \($0)" } ?? "none")\(exitedWithinShutdownBudget ? " within the shutdown budget" : "")")
        for error in exitErrors { lines.append("exit error: \(error.type ?? "-") \(error.body)") }
        if let latency = addedLatency {
            lines.append(String(format: "added latency: p50 %.2f ms, p99 %.2f ms over %d invocations", latency.p50, latency.p99, latency.count))
        }
        lines.append("peak RSS: \(peakRSSKB.map { "\($0) KiB" } ?? "unknown"); events received: \(eventsReceived)")
        lines.append("extension log: \(extensionLogPath)")
        if problems.isEmpty {
            lines.append("the extension behaved")
        } else {
            for problem in problems { lines.append("PROBLEM: \(problem)") }
        }
        return lines.joined(separator: "\n")
    }

    /// Transactions that reached the sink but that the simulated agent never sent as finished
    /// events: the extension built them from a registered transaction (its proxy transactions).
    public var proxyTransactionCount: Int {
        let agentSent = Set(invocations.filter { !$0.outcome.resetsEnvironment }.map { $0.requestID })
        return events(ofType: "transaction").filter { line in
            guard let execution = Self.faasExecution(line) else { return false }
            return !agentSent.contains(execution)
        }.count
    }

    private static func faasExecution(_ line: String) -> String? {
        (try? JSONParserShim.parse(line))?["transaction"]?["faas"]?["execution"]?.stringValue
    }

    /// `transaction 1, span 2, metricset 1, log 3` (metadata lines left out).
    static func countsByType(_ requests: [SinkRequest]) -> String {
        var counts: [String: Int] = [:]
        var order: [String] = []
        for type in requests.flatMap(\.eventTypes) where type != "metadata" {
            if counts[type] == nil { order.append(type) }
            counts[type, default: 0] += 1
        }
        for request in requests where request.isOTLP {
            let type = "OTLP \(request.path.dropFirst(4)) export"
            if counts[type] == nil { order.append(type) }
            counts[type, default: 0] += 1
        }
        let failed = requests.filter { ($0.status != 202 && $0.path.hasPrefix("/intake")) || ($0.status != 200 && $0.isOTLP) }.count
        var text = order.map { "\($0) \(counts[$0]!)" }.joined(separator: ", ")
        if !requests.isEmpty { text += " in \(requests.count) request\(requests.count == 1 ? "" : "s")" }
        if failed > 0 { text += " (\(failed) not accepted)" }
        return text
    }

    private static func ms(_ value: Double?) -> String { value.map { String(format: "%.1f ms", $0) } ?? "-" }
}
