/// What to simulate: which extension binary, which scenario.
public struct SimulationOptions: Sendable {
    /// The extension executable to launch.
    public var extensionPath: String
    public var scenario: Scenario
    /// Extra environment for the extension, merged over what the simulator and the scenario set.
    public var environment: [String: String]
    /// Where the extension's stdout and stderr go; nil: a new file in the temporary directory.
    public var logPath: String?

    public init(extensionPath: String, scenario: Scenario, environment: [String: String] = [:], logPath: String? = nil) {
        self.extensionPath = extensionPath
        self.scenario = scenario
        self.environment = environment
        self.logPath = logPath
    }
}
