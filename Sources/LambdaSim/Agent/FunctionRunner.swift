import JSON

/// Plays the function for one invocation: its log lines, its agent's requests, its OpenTelemetry
/// SDK's exports (a real SDK in a child process), its duration and how it ends, and the
/// platform's `platform.runtimeDone` when the runtime is done (Managed Instances have none:
/// their `platform.report` is the caller's to send).
struct FunctionRunner: Sendable {
    struct Result: Sendable {
        var durationMs: Double
        var flushedAtMs: Double?
        var runtimeDoneAtMs: Double
        var agentRequests: [AgentRequest]
    }

    let scenario: Scenario
    let dispatcher: TelemetryDispatcher
    let clock: SimulationClock
    let agent: AgentDriver
    let otel: OTelFunction

    func run(index: Int, requestID: String, plan: InvocationPlan, deadlineMs: Int64, agentProcess: Int = 0) async -> Result {
        let startedAt = clock.elapsedMs()
        let managedInstances = scenario.managedInstances != nil
        let payloads = AgentPayloads(
            scenario: scenario, index: index, requestID: requestID, plan: plan,
            startMicroseconds: SimulationClock.epochMicroseconds(), agentProcess: agentProcess)
        var requests: [AgentRequest] = []
        let events = TelemetryEventFactory(scenario: scenario)

        if plan.agent, plan.registerTransaction {
            requests.append(await agent.registerTransaction(payloads, compression: plan.compression))
        }
        for probe in plan.probes where plan.agent { requests.append(await agent.probe(probe, payloads)) }
        if plan.agent, plan.concurrentPosts > 0 {
            let agent = agent
            let posts = await withTaskGroup(of: AgentRequest.self) { group in
                for number in 0..<plan.concurrentPosts {
                    group.addTask { await agent.sendEvents([payloads.metadata, payloads.extraSpan(number)], flushed: false, compression: .none) }
                }
                return await group.reduce(into: [AgentRequest]()) { $0.append($1) }
            }
            requests += posts
        }
        for line in plan.logs {
            await dispatcher.emit(managedInstances ? events.managedInstancesFunction(line, requestID: requestID) : events.function(line))
        }

        // The handler's work. A timed-out one runs until the platform stops it at the deadline.
        let runFor: Double =
            plan.outcome == .timeout
            ? Double(deadlineMs - SimulationClock.epochMs())
            : plan.durationMs(invocation: index) - (clock.elapsedMs() - startedAt)
        if runFor > 0 { try? await Task.sleep(for: .microseconds(Int64(runFor * 1000))) }
        let durationMs = clock.elapsedMs() - startedAt

        var flushedAt: Double?
        // The SDK's force-flush comes last, after the agent's own flush (the case where waiting
        // for the agent alone would miss it), and before the runtime reports done.
        func runtimeDone() async -> Double {
            if let sdk = plan.otel, !plan.outcome.resetsEnvironment {
                requests.append(await otel.run(sdk, requestID: requestID, deadlineMs: deadlineMs))
            }
            let at = clock.elapsedMs()
            if managedInstances { return at }
            await dispatcher.emit(events.runtimeDone(
                requestID: requestID, status: plan.outcome.runtimeDoneStatus, durationMs: durationMs,
                producedBytes: plan.outcome.resetsEnvironment ? 0 : 42))
            return at
        }

        // A timed-out or crashed function reports nothing: its agent never got to. Nor does one without an agent.
        guard !plan.outcome.resetsEnvironment, plan.agent else {
            return Result(durationMs: durationMs, flushedAtMs: nil, runtimeDoneAtMs: await runtimeDone(), agentRequests: requests)
        }
        let lines = [payloads.metadata] + payloads.events(durationMs: durationMs)
        var runtimeDoneAt: Double?
        switch plan.flush {
        case .withEvents:
            flushedAt = clock.elapsedMs()
            requests.append(await agent.sendEvents(lines, flushed: true, compression: plan.compression))
        case .separate:
            requests.append(await agent.sendEvents(lines, flushed: false, compression: plan.compression))
            flushedAt = clock.elapsedMs()
            requests.append(await agent.sendEvents([], flushed: true, compression: .none))
        case .late:
            requests.append(await agent.sendEvents(lines, flushed: false, compression: plan.compression))
            runtimeDoneAt = await runtimeDone()
            flushedAt = clock.elapsedMs()
            requests.append(await agent.sendEvents([], flushed: true, compression: .none))
        case .none:
            requests.append(await agent.sendEvents(lines, flushed: false, compression: plan.compression))
        }
        if runtimeDoneAt == nil { runtimeDoneAt = await runtimeDone() }
        return Result(
            durationMs: durationMs, flushedAtMs: flushedAt, runtimeDoneAtMs: runtimeDoneAt ?? clock.elapsedMs(),
            agentRequests: requests)
    }
}
