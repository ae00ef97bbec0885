/// What to simulate: which extension binary, which scenario.
public struct SimulationOptions: Sendable {
    /// The extension executable to launch.
    public var extensionPath: String
    public var scenario: Scenario
    /// Extra environment for the extension, merged over what the simulator and the scenario set.
    public var environment: [String: String]
    /// Where the extension's stdout and stderr go; nil: a new file in the temporary directory.
    public var logPath: String?
    /// The host name the extension is given for the APM Server sink, which listens on 127.0.0.1:
    /// a name must resolve to that where the extension runs (tests of name resolution).
    public var sinkHost: String

    public init(
        extensionPath: String, scenario: Scenario, environment: [String: String] = [:], logPath: String? = nil,
        sinkHost: String = "127.0.0.1"
    ) {
        self.extensionPath = extensionPath
        self.scenario = scenario
        self.environment = environment
        self.logPath = logPath
        self.sinkHost = sinkHost
    }
}
