import HTTPServer
import Foundation
import Transport

/// Runs one extension binary through a scenario, playing the Lambda platform, the function with
/// its APM agent, and the APM Server, and reports what the extension did.
public enum LambdaSimulator {
    /// Lambda's limit on init (all extensions and the runtime).
    static let initLimitMs = 10_000
    /// What Lambda gives external extensions after SHUTDOWN before SIGKILL; twice that for a
    /// sanitized build (see `registrationFailureExitMs`).
    static var shutdownBudgetMs: Int { isSanitized ? 4_000 : 2_000 }

    /// The extension runs under AddressSanitizer or ThreadSanitizer (`make test-asan`, `make
    /// test-tsan` set their options), several times slower than it ships.
    static var isSanitized: Bool {
        let host = ProcessInfo.processInfo.environment
        return host["TSAN_OPTIONS"] != nil || host["ASAN_OPTIONS"] != nil
    }
    /// How soon an extension whose registration failed is to have exited (counted from that
    /// registration), so that the function's init fails fast and says why. A sanitized build
    /// (`make test-asan`, `make test-tsan`: the sanitizer's options are set) gets twice as long:
    /// ThreadSanitizer alone adds about a second to a process's exit.
    static var registrationFailureExitMs: Int { isSanitized ? 4_000 : 2_000 }

    /// Runs the simulation to the end. Throws only when the simulation itself cannot run (a port,
    /// the binary cannot be started); a misbehaving extension is reported in `problems`.
    public static func run(_ options: SimulationOptions) async throws -> SimulationReport {
        let clock = SimulationClock()
        let client = try HTTPClient()
        let sink = try await APMServerSink.start(tls: options.scenario.sinkTLS, clock: clock)
        let state = ExtensionsAPIState(clock: clock)
        let dispatcher = TelemetryDispatcher(client: client, clock: clock, faults: options.scenario.telemetryFaults)
        let router = ExtensionsAPIRouter(
            state: state, dispatcher: dispatcher, functionName: options.scenario.functionName,
            telemetry: options.scenario.telemetry, refusal: options.scenario.subscriptionRefusal,
            registrationFailure: options.scenario.registrationFailure, managedInstances: options.scenario.managedInstances != nil)
        let api: HTTPServer
        do {
            api = try await HTTPServer.start { await router.handle($0) }
        } catch {
            await sink.stop()
            throw error
        }
        let run = SimulationRun(
            options: options, clock: clock, client: client, sink: sink, state: state, dispatcher: dispatcher,
            runtimeAPIPort: api.port)
        let result: Result<SimulationReport, any Error>
        do {
            result = .success(try await run.execute())
        } catch {
            result = .failure(error)
        }
        await state.abandon()
        await api.stop()
        await sink.stop()
        return try result.get()
    }
}
