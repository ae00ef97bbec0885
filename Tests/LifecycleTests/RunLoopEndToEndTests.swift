import Foundation
import LambdaSim
import Testing

extension EndToEndTests {
    /// The extension's run loop, receiver and forwarding, end to end through lambda-sim (issue 4).
    @Suite("Run loop")
    struct RunLoop {
        @Test("happy path: 10 invocations, nothing lost, headers as specified, /next only after the flush")
        func happyPath() async throws {
            let report = try await EndToEnd.run(
                Scenario(invocations: [InvocationPlan(repeat: 10, compression: .gzip)]),
                environment: ["ELASTIC_APM_API_KEY": "the-key", "ELASTIC_APM_SECRET_TOKEN": "ignored-token"])
            #expect(report.events(ofType: "transaction").count == 10)
            #expect(report.events(ofType: "span").count == 20)
            #expect(report.extensionName == "elastic-apm-lambda-extension", "registered under its file name")
            let intake = report.sinkRequests.filter { $0.path == "/intake/v2/events" }
            #expect(!intake.isEmpty)
            #expect(Set(intake.compactMap(\.connection)).count == 1, "one kept-alive connection across batches and invocations")
            for request in intake {
                #expect(request.headers["content-type"] == "application/x-ndjson")
                #expect(request.headers["content-encoding"] == "gzip")
                #expect(request.headers["authorization"] == "ApiKey the-key")
                #expect(request.headers["user-agent"]?.hasPrefix("apm-aws-lambda/") == true)
                #expect(request.headers["user-agent"]?.contains("apm-agent-nodejs/4.7.0") == true)
            }
            for invocation in report.invocations {
                let flushed = try #require(invocation.flushedAtMs)
                let next = try #require(invocation.nextCalledAtMs)
                #expect(next >= flushed)
                // syncflush: this invocation's transaction reached the sink before /next.
                let shipped = report.sinkRequests.filter { $0.atMs <= next }.flatMap(\.events)
                #expect(shipped.contains { $0.contains(invocation.requestID) && $0.hasPrefix("{\"transaction\"") })
            }
            #expect(EndToEnd.logLines(report, containing: "the-key").isEmpty, "the API key must never be logged")
        }

        @Test("with the Telemetry API disabled, agent flushes alone end the invocations")
        func telemetryDisabled() async throws {
            let report = try await EndToEnd.run(
                Scenario(invocations: [InvocationPlan(repeat: 10)]), environment: ["ELASTIC_APM_LAMBDA_DISABLE_LOGS_API": "true"])
            #expect(report.telemetrySubscription == nil)
            #expect(report.events(ofType: "transaction").count == 10)
            #expect(report.events(ofType: "log").isEmpty)
        }

        @Test("a flush after runtimeDone, and a flush with the events: nothing is lost")
        func lateAndCombinedFlush() async throws {
            let report = try await EndToEnd.run(Scenario(invocations: [
                InvocationPlan(repeat: 3, flush: .late), InvocationPlan(repeat: 3, flush: .withEvents), InvocationPlan(repeat: 2, flush: .none),
            ]))
            #expect(report.events(ofType: "transaction").count == 8)
        }

        @Test("two posts in one invocation, ten concurrent posts with buffer sizes 1 and 10: all answered, drops counted", arguments: [1, 10])
        func concurrentPosts(bufferSize: Int) async throws {
            let report = try await EndToEnd.run(
                Scenario(invocations: [InvocationPlan(repeat: 2, concurrentPosts: 10), InvocationPlan(concurrentPosts: 1)]),
                environment: ["ELASTIC_APM_LAMBDA_AGENT_DATA_BUFFER_SIZE": "\(bufferSize)"])
            let intake = report.invocations.flatMap(\.agentRequests).filter { $0.path.hasPrefix("/intake") }
            #expect(intake.allSatisfy { $0.status == 202 })
            let extraSpans = report.events(ofType: "span").filter { $0.contains("\"name\":\"extra ") }.count
            let dropped = EndToEnd.logLines(report, containing: "agent data buffer full").count
            #expect(extraSpans + dropped >= 21, "every extra payload either arrived or was counted as dropped")
            #expect(report.events(ofType: "transaction").count + dropped >= 3)
        }

        @Test("syncflush ships before /next; background asks at once and ships during the next invocation")
        func backgroundStrategy() async throws {
            let report = try await EndToEnd.run(
                Scenario(invocations: [InvocationPlan(repeat: 5)]), environment: ["ELASTIC_APM_SEND_STRATEGY": "background"])
            #expect(report.events(ofType: "transaction").count == 5)
        }

        @Test("telemetry that comes while an invocation ships is answered before /event/next, and its logs and metrics still arrive")
        func telemetryDuringTheFlush() async throws {
            // The second invocation's send takes 400 ms: the platform's 25 ms batches come meanwhile.
            let report = try await EndToEnd.run(Scenario(invocations: [
                InvocationPlan(durationMs: 10), InvocationPlan(durationMs: 10, sink: .slow(delayMs: 400)), InvocationPlan(durationMs: 10),
            ]))
            let slow = report.invocations[1]
            let flushedAt = try #require(slow.flushedAtMs)
            let nextAt = try #require(slow.nextCalledAtMs)
            let meanwhile = report.telemetryDeliveries.filter { $0.atMs > flushedAt && $0.atMs < nextAt }
            #expect(!meanwhile.isEmpty, "no telemetry came during the slow send: \(report.telemetryDeliveries)")
            for delivery in meanwhile {
                #expect(delivery.status == 200)
                #expect(try #require(delivery.answeredAtMs) < nextAt, "answered only after /event/next: \(delivery)")
            }
            #expect(report.events(ofType: "metricset").count == 3)
            #expect(report.events(ofType: "log").count == 3)
        }

        @Test("full buffer with a slow server and the background strategy: no hang, drops counted, the rest arrives")
        func slowServerBackground() async throws {
            let report = try await EndToEnd.run(
                Scenario(invocations: [InvocationPlan(repeat: 6, durationMs: 10, sink: .slow(delayMs: 400)), InvocationPlan(sink: .ok)]),
                environment: [
                    "ELASTIC_APM_SEND_STRATEGY": "background", "ELASTIC_APM_LAMBDA_AGENT_DATA_BUFFER_SIZE": "1",
                    "ELASTIC_APM_DATA_FORWARDER_TIMEOUT": "2s",
                ])
            let transactions = report.events(ofType: "transaction").count
            let dropped = EndToEnd.logLines(report, containing: "agent data buffer full").count
            #expect(transactions + dropped >= 7)
            #expect(transactions >= 1)
        }

        @Test("APM Server down from the start: the function is never held, data is kept and counted")
        func serverDown() async throws {
            let report = try await EndToEnd.run(
                Scenario(invocations: [InvocationPlan(repeat: 3, sink: .reset)]), environment: ["ELASTIC_APM_DATA_FORWARDER_TIMEOUT": "500ms"])
            #expect(report.sinkRequests.allSatisfy { $0.status != 202 }, "a resetting server accepts nothing")
            #expect(report.invocations.allSatisfy { $0.nextCalledAtMs != nil })
            #expect(!EndToEnd.logLines(report, containing: "sending to APM Server failed").isEmpty)
            let shutdown = try #require(EndToEnd.logLines(report, containing: "\"shut down\"").first)
            #expect(shutdown.contains("\"events.held\":\"") && !shutdown.contains("\"events.held\":\"0\""), "undelivered data is counted")
        }

        @Test("a hanging APM Server: the forwarder timeout bounds each send, and data arrives after recovery")
        func hangingThenRecovering() async throws {
            let report = try await EndToEnd.run(
                Scenario(timeoutMs: 3000, invocations: [InvocationPlan(repeat: 2, sink: .hang), InvocationPlan(repeat: 3, sink: .ok)]),
                environment: ["ELASTIC_APM_DATA_FORWARDER_TIMEOUT": "300ms"])
            // Each send gave up at the forwarder timeout: both invocations were released before their
            // deadline (EndToEnd.run checks that for every invocation), with their data kept.
            #expect(report.invocations.prefix(2).allSatisfy { $0.nextCalledAtMs != nil })
            // Everything, including what the hang held back, arrives by the end (the last chance at SHUTDOWN).
            #expect(Set(report.events(ofType: "transaction")).count == 5)
        }

        @Test("after a hang, the kept data ships once the grace period is over, during the invocations that follow")
        func shipsAfterGracePeriod() async throws {
            // The first grace period is at most 5 s; six 1-second invocations outlast it.
            let report = try await EndToEnd.run(
                Scenario(invocations: [InvocationPlan(sink: .hang), InvocationPlan(repeat: 6, durationMs: 1000, sink: .ok)]),
                environment: ["ELASTIC_APM_DATA_FORWARDER_TIMEOUT": "300ms"])
            let first = try #require(report.invocations.first?.requestID)
            let delivered = report.sinkRequests.filter { request in
                request.status == 202 && request.events.contains { $0.hasPrefix("{\"transaction\"") && $0.contains(first) }
            }
            let shipment = try #require(delivered.first, "the hung invocation's transaction never arrived")
            #expect(shipment.invocation != nil, "shipped during an invocation, not only as the last chance at SHUTDOWN")
            #expect(!EndToEnd.logLines(report, containing: "sending to APM Server failed").isEmpty)
        }

        @Test("an APM Server crashing mid-run (503, reset): nothing is lost once it is back")
        func crashingServer() async throws {
            let report = try await EndToEnd.run(Scenario(invocations: [
                InvocationPlan(repeat: 2), InvocationPlan(sink: .failure(status: 503)), InvocationPlan(sink: .reset), InvocationPlan(repeat: 2),
            ]))
            #expect(Set(report.events(ofType: "transaction")).count == 6)
        }

        @Test("401 with an error body is logged with the server's message, and the data is retried")
        func unauthorized() async throws {
            let report = try await EndToEnd.run(Scenario(invocations: [InvocationPlan(repeat: 2, sink: .failure(status: 401)), InvocationPlan(sink: .ok)]))
            let failures = EndToEnd.logLines(report, containing: "sending to APM Server failed")
            #expect(failures.contains { $0.contains("401") })
            #expect(Set(report.events(ofType: "transaction")).count == 3)
        }

        @Test("429: no backoff, the data goes with the next flush")
        func rateLimited() async throws {
            let report = try await EndToEnd.run(Scenario(invocations: [InvocationPlan(sink: .failure(status: 429)), InvocationPlan(repeat: 2, sink: .ok)]))
            #expect(!EndToEnd.logLines(report, containing: "rate-limiting").isEmpty)
            // Without a grace period the second invocation's flush carries the first's data too.
            let second = try #require(report.invocations.dropFirst().first?.nextCalledAtMs)
            #expect(report.sinkRequests.filter { $0.atMs <= second && $0.status == 202 }.flatMap(\.events).filter { $0.hasPrefix("{\"transaction\"") }.count == 2)
        }

        @Test("hostile agent requests get their 4xx; GET / is proxied with the extension's Authorization; other data still arrives")
        func badInput() async throws {
            let report = try await EndToEnd.run(
                Scenario(invocations: [InvocationPlan(repeat: 2, probes: AgentProbe.allCases)]),
                environment: ["ELASTIC_APM_SECRET_TOKEN": "extension-token", "ELASTIC_APM_DATA_RECEIVER_TIMEOUT": "200ms"])
            for invocation in report.invocations {
                for (probe, request) in zip(AgentProbe.allCases, invocation.agentRequests.dropFirst()) {
                    #expect(request.status == probe.expectedStatus, "\(probe): \(String(describing: request.status)) \(request.error ?? "")")
                }
            }
            #expect(report.events(ofType: "transaction").count == 2)
            let info = report.sinkRequests.filter { $0.method == "GET" && $0.path == "/" }
            #expect(info.count == 2)
            for request in info {
                #expect(request.headers["authorization"] == "Bearer extension-token")
                #expect(request.headers["x-forwarded-host"]?.hasPrefix("127.0.0.1:") == true)
                #expect(request.headers["user-agent"]?.hasPrefix("apm-aws-lambda/") == true)
            }
        }

        @Test("a failing /event/next is reported on /extension/exit/error, and the extension exits non-zero")
        func nextEventFails() async throws {
            let report = try await LambdaSimulator.run(SimulationOptions(
                extensionPath: EndToEnd.extensionPath, scenario: Scenario(nextEventFailure: true, invocations: [InvocationPlan(repeat: 2)])))
            let error = try #require(report.exitErrors.first)
            #expect(error.type == "Extension.NextEventFailed")
            #expect(report.exitCode == 1)
            #expect(report.events(ofType: "transaction").count == 2, "what was buffered still went out")
        }

        @Test("the proxy answers 502 within the forwarder timeout while APM Server hangs")
        func proxyWhileHanging() async throws {
            let report = try await EndToEnd.run(
                Scenario(invocations: [InvocationPlan(sink: .hang, probes: [.serverInfo]), InvocationPlan(sink: .ok)]),
                environment: ["ELASTIC_APM_DATA_FORWARDER_TIMEOUT": "300ms"], validate: false)
            let proxied = try #require(report.invocations.first?.agentRequests.first { $0.path == "/" })
            #expect(proxied.status == 502)
        }

        @Test("a bad configuration is an init error naming the variable, and a non-zero exit")
        func badConfiguration() async throws {
            let report = try await LambdaSimulator.run(SimulationOptions(
                extensionPath: EndToEnd.extensionPath, scenario: Scenario(invocations: [InvocationPlan()]),
                environment: ["ELASTIC_APM_DATA_FORWARDER_TIMEOUT": "soon"]))
            let error = try #require(report.initErrors.first)
            #expect(error.type == "Extension.ConfigurationError")
            #expect(error.body.contains("ELASTIC_APM_DATA_FORWARDER_TIMEOUT"))
            #expect(report.exitCode != 0)
            #expect(!EndToEnd.logLines(report, containing: "ELASTIC_APM_DATA_FORWARDER_TIMEOUT").isEmpty)
        }
    }
}
