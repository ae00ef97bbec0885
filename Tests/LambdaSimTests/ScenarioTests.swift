import Foundation
import JSON
@testable import LambdaSim
import Testing

@Suite("Scenarios")
struct ScenarioTests {
    @Test(arguments: ["happy-path", "timeout", "crash", "apm-server-outage", "cold-start"])
    func shippedScenariosLoad(name: String) throws {
        let scenario = try Scenario.load(path: "\(packageRoot)/scenarios/\(name).json")
        #expect(!scenario.expandedInvocations.isEmpty)
    }

    @Test func happyPathIsTenSuccessfulInvocations() throws {
        let scenario = try Scenario.load(path: "\(packageRoot)/scenarios/happy-path.json")
        #expect(scenario.expandedInvocations.count == 10)
        #expect(scenario.expandedInvocations.allSatisfy { $0.outcome == .success && $0.sink == .ok })
        #expect(scenario.telemetry == .telemetry)
        #expect(scenario.expandedInvocations[0].logs.contains(.json(.object([
            "level": .string("info"), "message": .string("order stored"), "orderId": .number(42),
        ]))))
    }

    @Test func defaultsFillWhatAFileLeavesOut() throws {
        let scenario = try Scenario.decode(Data(#"{"invocations":[{"repeat":3}]}"#.utf8))
        #expect(scenario.functionName == "sim-function")
        #expect(scenario.timeoutMs == 3000)
        #expect(scenario.shutdownReason == .spindown)
        #expect(scenario.expandedInvocations.count == 3)
        #expect(scenario.expandedInvocations[0] == InvocationPlan(repeat: 3))
        #expect(scenario.functionARN == "arn:aws:lambda:us-east-1:123456789012:function:sim-function")
    }

    @Test func everyFieldIsRead() throws {
        let json = """
            {"functionName":"f","memorySizeMB":512,"timeoutMs":900,"initDurationMs":10,"telemetry":"logs-only",
             "subscriptionRefusal":"reset","shutdownReason":"failure","environment":{"ELASTIC_APM_LOG_LEVEL":"debug"},
             "invocations":[{"repeat":2,"durationMs":5,"outcome":"error","registerTransaction":false,"spans":0,
               "metricset":true,"compression":"deflate","flush":"late","logs":["a",{"k":[1,true,null]}],
               "sink":{"behaviour":"slow","delayMs":20}}]}
            """
        let scenario = try Scenario.decode(Data(json.utf8))
        #expect(scenario.memorySizeMB == 512 && scenario.timeoutMs == 900 && scenario.initDurationMs == 10)
        #expect(scenario.telemetry == .logsOnly && scenario.subscriptionRefusal == .reset && scenario.shutdownReason == .failure)
        #expect(scenario.environment == ["ELASTIC_APM_LOG_LEVEL": "debug"])
        let plan = try #require(scenario.invocations.first)
        #expect(plan.repeat == 2 && plan.durationMs == 5 && plan.outcome == .error && !plan.registerTransaction)
        #expect(plan.spans == 0 && plan.metricset && plan.compression == .deflate && plan.flush == .late)
        #expect(plan.logs == [.text("a"), .json(.object(["k": .array([.number(1), .bool(true), .null])]))])
        #expect(plan.sink == .slow(delayMs: 20))
    }

    /// A spread moves each invocation's duration within its bounds, differently from one
    /// invocation to the next, and the same way every time (both extensions of a comparison
    /// run the same invocations).
    @Test func durationSpreadIsSeededByTheInvocation() throws {
        let plan = try #require(Scenario.decode(Data(#"{"invocations":[{"durationMs":2,"durationSpreadMs":1}]}"#.utf8)).invocations.first)
        #expect(plan.durationSpreadMs == 1)
        let durations = (0..<300).map { plan.durationMs(invocation: $0) }
        #expect(durations.allSatisfy { (1...3).contains($0) })
        #expect(Set(durations).count == 300)
        #expect(durations.filter { $0 < 1.5 }.count > 50 && durations.filter { $0 > 2.5 }.count > 50)
        #expect(durations == (0..<300).map { plan.durationMs(invocation: $0) })
        #expect(InvocationPlan(durationMs: 7).durationMs(invocation: 12) == 7)
    }

    @Test(arguments: [("\"ok\"", SinkBehaviour.ok), ("\"hang\"", .hang), ("\"reset\"", .reset), ("\"503\"", .failure(status: 503)),
                      ("\"401\"", .failure(status: 401)), ("\"slow\"", .slow(delayMs: 1000)),
                      (#"{"behaviour":"429"}"#, .failure(status: 429))])
    func sinkBehaviours(json: String, expected: SinkBehaviour) throws {
        let scenario = try Scenario.decode(Data(#"{"invocations":[{"sink":\#(json)}]}"#.utf8))
        #expect(scenario.invocations[0].sink == expected)
        // And back: a scenario written by a test reads the same.
        let encoded = try JSONEncoder().encode(scenario)
        #expect(try Scenario.decode(encoded) == scenario)
    }

    @Test(arguments: [
        ("{", "top level"),
        (#"{"functionName":"f"}"#, "missing required field \"invocations\""),
        (#"{"invocations":[{"outcome":"explode"}]}"#, "invocations[0].outcome"),
        (#"{"invocations":[{},{"sink":"teapot"}]}"#, "unknown sink behaviour \"teapot\""),
        (#"{"invocations":[{"sink":"tls"}]}"#, "sinkTLS"),
        (#"{"invocations":[{"logs":[3]}]}"#, "invocations[0].logs[0]"),
        (#"{"invocations":[{"durationMs":"long"}]}"#, "invocations[0].durationMs"),
        (#"{"invocations":[{"repeat":0}]}"#, "repeat must be at least 1"),
        (#"{"invocations":[{"durationSpreadMs":-1}]}"#, "durationSpreadMs is negative"),
        (#"{"invocations":[]}"#, "invocations is empty"),
        (#"{"memorySizeMB":64,"invocations":[{}]}"#, "memorySizeMB"),
        (#"{"telemetry":"sometimes","invocations":[{}]}"#, "telemetry"),
    ])
    func malformedScenariosSayWhatIsWrong(json: String, mention: String) throws {
        let error = try #require(throws: ScenarioError.self) { try Scenario.decode(Data(json.utf8), source: "bad.json") }
        #expect(error.description.contains("bad.json"))
        #expect(error.description.contains(mention), "\(error.description)")
    }

    @Test func missingFileSaysSo() throws {
        let error = try #require(throws: ScenarioError.self) { try Scenario.load(path: "/nonexistent/scenario.json") }
        #expect(error.description.contains("/nonexistent/scenario.json"))
        #expect(error.reason.contains("cannot read"))
    }
}
