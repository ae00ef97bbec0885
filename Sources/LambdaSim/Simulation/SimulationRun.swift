import Foundation
import Transport

/// One simulation from process start to exit, in the order Lambda does things: init (register,
/// subscribe, first `/event/next`), invocations one after the other (each waits for the
/// extension's `/event/next` before the next starts), then SHUTDOWN.
struct SimulationRun: Sendable {
    let options: SimulationOptions
    let clock: SimulationClock
    let client: HTTPClient
    let sink: APMServerSink
    let state: ExtensionsAPIState
    let dispatcher: TelemetryDispatcher
    let runtimeAPIPort: Int

    private var scenario: Scenario { options.scenario }
    private var events: TelemetryEventFactory { TelemetryEventFactory(scenario: scenario) }

    func execute() async throws -> SimulationReport {
        let receiverPort = try LoopbackPort.free()
        let logPath = options.logPath ?? Self.temporaryLogPath()
        await dispatcher.emit(events.initStart())
        let startedAt = clock.elapsedMs()
        let environment = environment(receiverPort: receiverPort)
        // The agent talks to whatever port the extension was told to listen on.
        let receiverURL = "http://127.0.0.1:\(environment["ELASTIC_APM_DATA_RECEIVER_SERVER_PORT"] ?? "8200")"
        let stalled = StalledConnections()
        defer { stalled.closeAll() }
        let agent = AgentDriver(client: client, receiverURL: receiverURL, clock: clock, stalled: stalled)
        let process = try ExtensionChildProcess.launch(
            path: options.extensionPath, environment: environment, logPath: logPath)
        let sampler = Task {
            while process.exited.value == nil, !Task.isCancelled {
                process.samplePeakRSS()
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        let watcher = Task {
            _ = await process.exited.wait(timeoutMs: nil)
            let exitedAt = clock.elapsedMs()
            await state.abandon()
            return exitedAt
        }
        defer {
            sampler.cancel()
            watcher.cancel()
        }

        var report = SimulationReport(
            registered: false, extensionName: nil, initErrors: [], exitErrors: [], invocations: [], sinkRequests: [],
            telemetrySubscription: nil, telemetryTypes: [], telemetryDeliveries: [], nextCallsAtMs: [],
            shutdownReason: nil, shutdownAtMs: nil, exitCode: nil, exitedWithinShutdownBudget: false,
            initStartToRegisterMs: nil, registerToFirstNextMs: nil, peakRSSKB: nil, extensionLogPath: logPath,
            problems: [])

        // MARK: Init
        let registeredAt = await state.registered.wait(timeoutMs: LambdaSimulator.initLimitMs)
        var initialised = false
        if let registeredAt {
            report.registered = true
            report.initStartToRegisterMs = registeredAt - startedAt
            let remaining = LambdaSimulator.initLimitMs - Int(clock.elapsedMs() - startedAt)
            if let firstNext = await state.nextCallEvent(number: 1).wait(timeoutMs: remaining) {
                report.registerToFirstNextMs = firstNext - registeredAt
                initialised = true
            } else {
                report.problems.append(process.exited.value == nil
                    ? "did not call /event/next within the \(LambdaSimulator.initLimitMs) ms init limit"
                    : "exited during init without calling /event/next")
            }
        } else if scenario.registrationFailure != nil {
            // What Lambda expects of an extension it could not register: a prompt non-zero exit.
            // It is judged below, once the exit is known.
        } else {
            report.problems.append(process.exited.value == nil
                ? "did not register within the \(LambdaSimulator.initLimitMs) ms init limit"
                : "exited during init without registering")
        }

        // MARK: Invocations
        var shutdownReason = scenario.shutdownReason
        if initialised {
            await dispatcher.emit(events.initRuntimeDone())
            await dispatcher.emit(events.initReport())
            if let snapStart = scenario.snapStart {
                report.initAgentRequests = await functionInit(agent: agent)
                report.restoredAtMs = await snapshotAndRestore(process, snapStart)
            }
            let plans = scenario.expandedInvocations
            if let managedInstances = scenario.managedInstances {
                report.overlappingInvocations = true
                report.invocations = await invokeConcurrently(plans, managedInstances, agent: agent)
                if let sample = process.sampleResources(afterInvocations: plans.count) { report.resourceSamples.append(sample) }
            }
            for (index, plan) in plans.enumerated() where scenario.managedInstances == nil {
                if process.exited.value != nil {
                    report.problems.append("exited before invocation \(index + 1)")
                    break
                }
                let invocation = await invoke(index: index, plan: plan, agent: agent)
                report.invocations.append(invocation)
                if index == 0 || (index + 1) % scenario.resourceSampleEvery == 0 || index == plans.count - 1,
                    let sample = process.sampleResources(afterInvocations: index + 1)
                {
                    report.resourceSamples.append(sample)
                }
                if invocation.nextCalledAtMs == nil {
                    if process.exited.value != nil {
                        report.problems.append("exited during invocation \(index + 1)")
                        break
                    }
                    report.problems.append("did not call /event/next by invocation \(index + 1)'s deadline")
                    // Lambda times the invocation out and resets the environment.
                    shutdownReason = .timeout
                    break
                }
                if plan.outcome.resetsEnvironment {
                    shutdownReason = plan.outcome == .timeout ? .timeout : .failure
                    break
                }
            }
        }

        // MARK: Shutdown
        sink.setInvocation(nil)
        if process.exited.value == nil {
            await dispatcher.drain()
            process.samplePeakRSS()
            if initialised {
                report.shutdownReason = shutdownReason
                report.shutdownAtMs = clock.elapsedMs()
                let deadline = SimulationClock.epochMs() + Int64(LambdaSimulator.shutdownBudgetMs)
                if scenario.nextEventFailure {
                    await state.deliver(.failure(status: 500))
                } else {
                    await state.deliver(.shutdown(reason: shutdownReason, deadlineMs: deadline))
                }
                if await process.exited.wait(timeoutMs: LambdaSimulator.shutdownBudgetMs) != nil {
                    report.exitedWithinShutdownBudget = true
                } else {
                    report.problems.append("did not exit within \(LambdaSimulator.shutdownBudgetMs) ms of SHUTDOWN: killed")
                }
            }
            process.kill()
        }
        report.exitCode = await process.exited.wait(timeoutMs: 5_000)
        if let code = report.exitCode, code != 0, report.exitedWithinShutdownBudget, !scenario.nextEventFailure {
            report.problems.append("exited with status \(code) after SHUTDOWN")
        }
        report.peakRSSKB = process.peakRSSKB
        if report.exitCode != nil { report.exitedAtMs = await watcher.value }

        // MARK: What was recorded
        if let registration = await state.registration { report.extensionName = registration.name }
        report.initErrors = await state.initErrors
        report.failedRegistrationsAtMs = await state.failedRegistrationTimes
        if scenario.registrationFailure != nil { report.problems += judgeExitAfterFailedRegistration(report) }
        report.exitErrors = await state.exitErrors
        report.nextCallsAtMs = await state.nextCallTimes
        report.sinkRequests = sink.requests
        if report.restoredAtMs != nil, sink.requestsOnDeadConnections > 0 {
            report.problems.append(
                "sent \(sink.requestsOnDeadConnections) request(s) on connections from before the snapshot: each waits for its timeout")
        }
        if let subscription = await dispatcher.subscription {
            report.telemetrySubscription = subscription.api.rawValue
            report.telemetryTypes = subscription.types.sorted()
        }
        report.telemetryDeliveries = await dispatcher.deliveries
        return report
    }

    /// An extension whose registration failed must exit non-zero, soon after its first refusal.
    private func judgeExitAfterFailedRegistration(_ report: SimulationReport) -> [String] {
        guard let refusedAt = report.failedRegistrationsAtMs.first else {
            return report.registered ? [] : ["never tried to register"]
        }
        guard let exitedAt = report.exitedAtMs, let code = report.exitCode else {
            return ["did not exit after its registration failed"]
        }
        var problems: [String] = []
        if code == 0 { problems.append("exited 0 after its registration failed") }
        let afterMs = exitedAt - refusedAt
        if afterMs > Double(LambdaSimulator.registrationFailureExitMs) {
            problems.append("exited \(Int(afterMs)) ms after its registration failed (more than \(LambdaSimulator.registrationFailureExitMs) ms)")
        }
        return problems
    }

    // MARK: SnapStart

    /// What the function's init does with its agent before a snapshot: it asks APM Server for its
    /// version through the extension (connections to APM Server get pooled) and sends its first
    /// data, which the extension holds until an invocation.
    private func functionInit(agent: AgentDriver) async -> [AgentRequest] {
        let payloads = AgentPayloads(
            scenario: scenario, index: 0, requestID: "init", plan: InvocationPlan(), startMicroseconds: SimulationClock.epochMicroseconds())
        return [
            await agent.probe(.serverInfo, payloads),
            await agent.sendEvents([payloads.metadata, payloads.extraSpan(0)], flushed: false, compression: .none),
        ]
    }

    /// The snapshot after init and the restore of a copy of it (see `SnapStart`); returns when the
    /// restored extension runs again.
    private func snapshotAndRestore(_ process: ExtensionChildProcess, _ snapStart: SnapStart) async -> Double {
        // What init produced reaches the extension before the snapshot, as Lambda's does.
        await dispatcher.drain()
        process.signal(SIGSTOP)
        sink.killOpenConnections()
        try? await Task.sleep(for: .milliseconds(snapStart.pauseMs))
        process.signal(SIGCONT)
        let restoredAt = clock.elapsedMs()
        for event in events.restore(durationMs: snapStart.restoreDurationMs) { await dispatcher.emit(event) }
        return restoredAt
    }

    // MARK: Overlapping invocations (Managed Instances)

    /// Runs the invocations `concurrency` at a time, each on worker `index mod agentProcesses`
    /// with that worker's agent; nothing is delivered to the extension, which learns of each
    /// invocation from telemetry alone.
    private func invokeConcurrently(
        _ plans: [InvocationPlan], _ managedInstances: ManagedInstances, agent: AgentDriver
    ) async -> [InvocationReport] {
        sink.setBehaviour(plans.first?.sink ?? .ok)
        return await withTaskGroup(of: InvocationReport.self) { group in
            var started = 0
            var reports: [InvocationReport] = []
            while started < min(managedInstances.concurrency, plans.count) {
                let index = started
                group.addTask { await self.invokeOverlapping(index: index, plan: plans[index], managedInstances, agent: agent) }
                started += 1
            }
            for await report in group {
                reports.append(report)
                if started < plans.count {
                    let index = started
                    group.addTask { await self.invokeOverlapping(index: index, plan: plans[index], managedInstances, agent: agent) }
                    started += 1
                }
            }
            return reports.sorted { $0.index < $1.index }
        }
    }

    private func invokeOverlapping(
        index: Int, plan: InvocationPlan, _ managedInstances: ManagedInstances, agent: AgentDriver
    ) async -> InvocationReport {
        let requestID = Self.requestID(index)
        let deadlineMs = SimulationClock.epochMs() + Int64(scenario.timeoutMs)
        let invokedAt = clock.elapsedMs()
        await dispatcher.emit(events.start(requestID: requestID))
        let otel = OTelFunction(receiverURL: agent.receiverURL, serviceName: scenario.functionName, clock: clock)
        let function = FunctionRunner(scenario: scenario, dispatcher: dispatcher, clock: clock, agent: agent, otel: otel)
        let run = await function.run(
            index: index, requestID: requestID, plan: plan, deadlineMs: deadlineMs,
            agentProcess: index % managedInstances.agentProcesses)
        // A crashed worker's invocation reports an error; the environment goes on.
        let status = plan.outcome == .crash ? "error" : plan.outcome.runtimeDoneStatus
        await dispatcher.emit(events.managedInstancesReport(requestID: requestID, status: status, durationMs: run.durationMs))
        return InvocationReport(
            index: index, requestID: requestID, outcome: plan.outcome, runtimeDoneStatus: status,
            sinkBehaviour: plan.sink.description, invokedAtMs: invokedAt, deadlineMs: deadlineMs, durationMs: run.durationMs,
            flushedAtMs: run.flushedAtMs, runtimeDoneAtMs: run.runtimeDoneAtMs, nextCalledAtMs: nil, addedLatencyMs: nil,
            agentRequests: run.agentRequests)
    }

    // MARK: One invocation

    private func invoke(index: Int, plan: InvocationPlan, agent: AgentDriver) async -> InvocationReport {
        let requestID = Self.requestID(index)
        sink.setBehaviour(plan.sink)
        sink.setInvocation(index)
        let deadlineMs = SimulationClock.epochMs() + Int64(scenario.timeoutMs)
        let invokedAt = clock.elapsedMs()
        await dispatcher.emit(events.start(requestID: requestID))
        await state.deliver(.invoke(
            requestID: requestID, deadlineMs: deadlineMs, functionARN: scenario.functionARN,
            traceID: "Root=1-5e1a0000-\(String(repeating: "0", count: 18))\(String(format: "%06x", index + 1));Sampled=1"))

        let otel = OTelFunction(receiverURL: agent.receiverURL, serviceName: scenario.functionName, clock: clock)
        let function = FunctionRunner(scenario: scenario, dispatcher: dispatcher, clock: clock, agent: agent, otel: otel)
        let run = await function.run(index: index, requestID: requestID, plan: plan, deadlineMs: deadlineMs)

        // Lambda waits for the extension to say it is done, at most until the deadline (plus a
        // margin so an extension finishing right at it is not misjudged).
        let remaining = Int(deadlineMs - SimulationClock.epochMs())
        let nextAt = await state.nextCallEvent(number: index + 2).wait(timeoutMs: max(0, remaining) + 1000)
        await dispatcher.emit(events.report(
            requestID: requestID, status: plan.outcome.runtimeDoneStatus, durationMs: run.durationMs, coldStart: index == 0))

        // With an OpenTelemetry SDK, the function is done only when its runtime is: the SDK's
        // force-flush follows the agent's flush.
        let doneAt = plan.otel == nil ? min(run.flushedAtMs ?? .infinity, run.runtimeDoneAtMs) : run.runtimeDoneAtMs
        return InvocationReport(
            index: index, requestID: requestID, outcome: plan.outcome, runtimeDoneStatus: plan.outcome.runtimeDoneStatus,
            sinkBehaviour: plan.sink.description, invokedAtMs: invokedAt, deadlineMs: deadlineMs,
            durationMs: run.durationMs, flushedAtMs: run.flushedAtMs, runtimeDoneAtMs: run.runtimeDoneAtMs,
            nextCalledAtMs: nextAt, addedLatencyMs: nextAt.map { $0 - doneAt }, agentRequests: run.agentRequests)
    }

    // MARK: Environment

    /// Lambda's environment for an extension, then the scenario's, then the caller's.
    func environment(receiverPort: Int) -> [String: String] {
        let host = ProcessInfo.processInfo.environment
        var environment: [String: String] = [
            "PATH": host["PATH"] ?? "/usr/local/bin:/usr/bin:/bin",
            "TZ": ":UTC",
            "LAMBDA_TASK_ROOT": "/var/task",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EXECUTION_ENV": "AWS_Lambda_nodejs20.x",
            "AWS_LAMBDA_INITIALIZATION_TYPE": scenario.initializationType,
            "AWS_LAMBDA_FUNCTION_NAME": scenario.functionName,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "\(scenario.memorySizeMB)",
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/\(scenario.functionName)",
            "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[$LATEST]00000000000000000000000000000000",
            "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:\(runtimeAPIPort)",
            "ELASTIC_APM_LAMBDA_APM_SERVER": sink.url(host: options.sinkHost),
            "ELASTIC_APM_DATA_RECEIVER_SERVER_PORT": "\(receiverPort)",
        ]
        // What a Managed Instances environment tells extensions besides its initialization type.
        if scenario.managedInstances != nil { environment["AWS_LAMBDA_LOG_FORMAT"] = "json" }
        // A Swift binary built here may need the toolchain's libraries.
        if let libraries = host["LD_LIBRARY_PATH"] { environment["LD_LIBRARY_PATH"] = libraries }
        // A sanitized extension (make test-asan / test-tsan) reports as the runner was told to.
        for name in ["ASAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"] { environment[name] = host[name] }
        environment.merge(scenario.environment) { $1 }
        environment.merge(options.environment) { $1 }
        // Lambda gives extensions the function's environment: a function with an OpenTelemetry
        // SDK has its exporter pointed at the extension's receiver.
        if scenario.invocations.contains(where: { $0.otel != nil }), environment["OTEL_EXPORTER_OTLP_ENDPOINT"] == nil {
            environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:\(environment["ELASTIC_APM_DATA_RECEIVER_SERVER_PORT"] ?? "8200")"
        }
        return environment
    }

    static func requestID(_ index: Int) -> String {
        String(format: "5e1a0000-0000-4000-8000-%012x", index + 1)
    }

    static func temporaryLogPath() -> String {
        let directory = FileManager.default.temporaryDirectory.path
        return "\(directory)/lambda-sim-extension-\(UUID().uuidString.prefix(8)).log"
    }
}
