public import Foundation

/// What the simulated Lambda environment does: its configuration and, in order, its invocations.
/// Tests and the demo share these as JSON files under `scenarios/`; every field but
/// `invocations` has a default, so a scenario file says only what it is about.
public struct Scenario: Codable, Sendable, Equatable {
    /// The function's name, as in `AWS_LAMBDA_FUNCTION_NAME` and the ARN.
    public var functionName: String
    /// The configured memory, reported in `platform.report`.
    public var memorySizeMB: Int
    /// The function timeout: an INVOKE's `deadlineMs` is its start plus this.
    public var timeoutMs: Int
    /// How long the runtime's own init takes (reported in `platform.initReport` and as the
    /// `initDurationMs` of the first `platform.report`, which marks the cold start).
    public var initDurationMs: Double
    /// Which subscription API the platform offers.
    public var telemetry: TelemetryAvailability
    /// How an API that is not offered refuses a subscription.
    public var subscriptionRefusal: SubscriptionRefusal
    /// The reason in the SHUTDOWN sent after the last invocation (a timeout or crash overrides it).
    public var shutdownReason: ShutdownReason
    /// Extra environment for the extension, merged over what the simulator sets.
    public var environment: [String: String]
    /// Serve the APM Server sink over HTTPS with this certificate and key; nil: plain HTTP.
    public var sinkTLS: SinkTLS?
    /// After the last invocation, `/event/next` answers 500 instead of SHUTDOWN.
    public var nextEventFailure: Bool
    /// `/extension/register` fails this way; nil: it succeeds. The extension is then expected to
    /// report an init error (without identifier) and exit non-zero, within Lambda's init phase.
    public var registrationFailure: RegistrationFailure?
    /// Run as Lambda Managed Instances (overlapping invocations, no INVOKE for extensions); nil:
    /// on-demand, one invocation at a time.
    public var managedInstances: ManagedInstances?
    /// Snapshot the environment after init and restore it before the first invocation; nil: no SnapStart.
    public var snapStart: SnapStart?
    /// How the telemetry delivery misbehaves, if it does.
    public var telemetryFaults: [TelemetryFault]
    /// Sample the extension's memory and descriptors every this many invocations.
    public var resourceSampleEvery: Int
    /// The invocations in order; a step with `repeat` stands for that many equal invocations.
    public var invocations: [InvocationPlan]

    public init(
        functionName: String = "sim-function", memorySizeMB: Int = 128, timeoutMs: Int = 3000,
        initDurationMs: Double = 150, telemetry: TelemetryAvailability = .telemetry,
        subscriptionRefusal: SubscriptionRefusal = .notFound, shutdownReason: ShutdownReason = .spindown,
        environment: [String: String] = [:], sinkTLS: SinkTLS? = nil, nextEventFailure: Bool = false,
        registrationFailure: RegistrationFailure? = nil, managedInstances: ManagedInstances? = nil, snapStart: SnapStart? = nil, telemetryFaults: [TelemetryFault] = [], resourceSampleEvery: Int = 1000,
        invocations: [InvocationPlan] = [InvocationPlan(repeat: 10)]
    ) {
        self.functionName = functionName
        self.memorySizeMB = memorySizeMB
        self.timeoutMs = timeoutMs
        self.initDurationMs = initDurationMs
        self.telemetry = telemetry
        self.subscriptionRefusal = subscriptionRefusal
        self.shutdownReason = shutdownReason
        self.environment = environment
        self.sinkTLS = sinkTLS
        self.nextEventFailure = nextEventFailure
        self.registrationFailure = registrationFailure
        self.managedInstances = managedInstances
        self.snapStart = snapStart
        self.telemetryFaults = telemetryFaults
        self.resourceSampleEvery = max(1, resourceSampleEvery)
        self.invocations = invocations
    }

    /// The invocations with every `repeat` expanded, in the order they run.
    public var expandedInvocations: [InvocationPlan] {
        invocations.flatMap { step in Array(repeating: step, count: max(0, step.repeat)) }
    }

    /// `AWS_LAMBDA_INITIALIZATION_TYPE`, and the `initializationType` of the init telemetry.
    public var initializationType: String {
        managedInstances != nil ? "lambda-managed-instances" : snapStart != nil ? "snap-start" : "on-demand"
    }

    /// The ARN Lambda passes in INVOKE events.
    public var functionARN: String { "arn:aws:lambda:us-east-1:123456789012:function:\(functionName)" }

    /// Reads a scenario file; a malformed one throws a `ScenarioError` that names the file and the field.
    /// The shipped scenario when the file exists (run from the package), else the built-in
    /// default: the same ten successful invocations, without the file's details.
    public static func loadDefault(shippedAt path: String) throws -> Scenario {
        FileManager.default.fileExists(atPath: path) ? try load(path: path) : Scenario()
    }

    public static func load(path: String) throws -> Scenario {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ScenarioError(path: path, reason: "cannot read the file: \(error.localizedDescription)")
        }
        return try decode(data, source: path)
    }

    /// Parses scenario JSON; `source` names it in errors.
    public static func decode(_ data: Data, source: String = "<scenario>") throws -> Scenario {
        let scenario: Scenario
        do {
            scenario = try JSONDecoder().decode(Scenario.self, from: data)
        } catch let error as DecodingError {
            throw ScenarioError(path: source, reason: ScenarioError.describe(error))
        }
        try scenario.validate(source: source)
        return scenario
    }

    /// Checks what the types alone cannot.
    func validate(source: String) throws {
        func fail(_ reason: String) -> ScenarioError { ScenarioError(path: source, reason: reason) }
        if functionName.isEmpty { throw fail("functionName is empty") }
        if memorySizeMB < 128 || memorySizeMB > 10240 { throw fail("memorySizeMB \(memorySizeMB) is outside 128...10240") }
        if timeoutMs <= 0 { throw fail("timeoutMs must be positive") }
        if invocations.isEmpty { throw fail("invocations is empty") }
        if let managedInstances {
            if managedInstances.concurrency < 1 { throw fail("managedInstances.concurrency must be at least 1") }
            if managedInstances.agentProcesses < 1 { throw fail("managedInstances.agentProcesses must be at least 1") }
            if snapStart != nil { throw fail("managedInstances and snapStart do not go together") }
        }
        if let snapStart, snapStart.pauseMs < 0 { throw fail("snapStart.pauseMs is negative") }
        for (index, step) in invocations.enumerated() {
            if step.repeat < 1 { throw fail("invocations[\(index)].repeat must be at least 1") }
            if step.durationMs < 0 { throw fail("invocations[\(index)].durationMs is negative") }
            if step.durationSpreadMs < 0 { throw fail("invocations[\(index)].durationSpreadMs is negative") }
            if step.spans < 0 { throw fail("invocations[\(index)].spans is negative") }
        }
    }

    // MARK: Codable with defaults

    enum CodingKeys: String, CodingKey {
        case functionName, memorySizeMB, timeoutMs, initDurationMs, telemetry, subscriptionRefusal
        case shutdownReason, environment, sinkTLS, nextEventFailure, registrationFailure, managedInstances, snapStart, telemetryFaults, resourceSampleEvery, invocations
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = Scenario()
        functionName = try container.decodeIfPresent(String.self, forKey: .functionName) ?? defaults.functionName
        memorySizeMB = try container.decodeIfPresent(Int.self, forKey: .memorySizeMB) ?? defaults.memorySizeMB
        timeoutMs = try container.decodeIfPresent(Int.self, forKey: .timeoutMs) ?? defaults.timeoutMs
        initDurationMs = try container.decodeIfPresent(Double.self, forKey: .initDurationMs) ?? defaults.initDurationMs
        telemetry = try container.decodeIfPresent(TelemetryAvailability.self, forKey: .telemetry) ?? defaults.telemetry
        subscriptionRefusal =
            try container.decodeIfPresent(SubscriptionRefusal.self, forKey: .subscriptionRefusal) ?? defaults.subscriptionRefusal
        shutdownReason = try container.decodeIfPresent(ShutdownReason.self, forKey: .shutdownReason) ?? defaults.shutdownReason
        environment = try container.decodeIfPresent([String: String].self, forKey: .environment) ?? [:]
        sinkTLS = try container.decodeIfPresent(SinkTLS.self, forKey: .sinkTLS)
        nextEventFailure = try container.decodeIfPresent(Bool.self, forKey: .nextEventFailure) ?? defaults.nextEventFailure
        registrationFailure = try container.decodeIfPresent(RegistrationFailure.self, forKey: .registrationFailure)
        managedInstances = try container.decodeIfPresent(ManagedInstances.self, forKey: .managedInstances)
        snapStart = try container.decodeIfPresent(SnapStart.self, forKey: .snapStart)
        telemetryFaults = try container.decodeIfPresent([TelemetryFault].self, forKey: .telemetryFaults) ?? defaults.telemetryFaults
        resourceSampleEvery = max(1, try container.decodeIfPresent(Int.self, forKey: .resourceSampleEvery) ?? defaults.resourceSampleEvery)
        invocations = try container.decode([InvocationPlan].self, forKey: .invocations)
    }
}
