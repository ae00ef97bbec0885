@testable import Lifecycle
import Testing
import Transport

@Suite("Policies")
struct PolicyTests {
    @Test("the first grace period is 0-5 s, then min(n,6)² s ±10 %", arguments: [0.0, 0.5, 0.999])
    func gracePeriod(random: Double) {
        #expect(ServerHealth.gracePeriodMilliseconds(consecutiveFailures: 0, random: random) == UInt64(random * 5000))
        for n in 1...9 {
            let base = Double(min(n, 6) * min(n, 6)) * 1000
            let grace = Double(ServerHealth.gracePeriodMilliseconds(consecutiveFailures: n, random: random))
            #expect(grace >= base * 0.9 - 1 && grace <= base * 1.1)
        }
    }

    @Test("health: failures back off, 429 does not, success and client errors heal")
    func healthStateMachine() {
        var health = ServerHealth()
        #expect(health.maySend(atMilliseconds: 0))
        health.record(.rateLimited, atMilliseconds: 0, random: 0.5)
        #expect(health.state == .healthy)
        health.record(.serverFailure("503"), atMilliseconds: 1000, random: 0.5)
        #expect(health.state == .failing(until: 3500))
        #expect(!health.maySend(atMilliseconds: 3499) && health.maySend(atMilliseconds: 3500))
        health.record(.serverFailure("503"), atMilliseconds: 4000, random: 0.5)
        #expect(health.state == .failing(until: 5000))
        health.record(.serverFailure("reset"), atMilliseconds: 5000, random: 0.5)
        #expect(health.state == .failing(until: 9000))
        #expect(health.consecutiveFailures == 3)
        health.record(.accepted, atMilliseconds: 9000, random: 0.5)
        #expect(health.state == .healthy && health.consecutiveFailures == 0)
        health.record(.serverFailure("401"), atMilliseconds: 0, random: 0)
        health.record(.clientFailure("400"), atMilliseconds: 10, random: 0)
        #expect(health.state == .healthy)
    }

    @Test("health draws its random value only for a failure (each draw is a system call)")
    func healthDrawsOnlyForFailures() {
        var health = ServerHealth()
        var draws = 0
        func draw() -> Double {
            draws += 1
            return 0.5
        }
        health.record(.accepted, atMilliseconds: 0, random: draw())
        health.record(.rateLimited, atMilliseconds: 0, random: draw())
        health.record(.clientFailure("400"), atMilliseconds: 0, random: draw())
        #expect(draws == 0)
        health.record(.serverFailure("503"), atMilliseconds: 0, random: draw())
        #expect(draws == 1 && health.state == .failing(until: 2500))
    }

    @Test("APM Server answers are classified", arguments: [
        (202, SendOutcome.accepted), (429, .rateLimited),
    ])
    func classification(status: Int, expected: SendOutcome) {
        #expect(APMServerClient.outcome(status: status, body: []) == expected)
    }

    @Test("401, 403 and 5xx are server failures; other 4xx client failures with the server's errors")
    func failureClassification() {
        for status in [401, 403, 500, 502, 503] {
            guard case .serverFailure = APMServerClient.outcome(status: status, body: []) else {
                Issue.record("\(status) should be a server failure")
                continue
            }
        }
        let body = Array(#"{"errors":[{"message":"decode error","document":"{\"span\":{}}"}]}"#.utf8)
        guard case .clientFailure(let reason) = APMServerClient.outcome(status: 400, body: body) else {
            Issue.record("400 should be a client failure")
            return
        }
        #expect(reason.contains("decode error") && reason.contains("span"))
    }

    @Test("batches ship at 90 % of 50 events or when 2 s old")
    func batchPolicy() {
        let policy = BatchPolicy()
        #expect(!policy.isDue(eventCount: 0, firstEventAt: 0, now: 10_000))
        #expect(!policy.isDue(eventCount: 44, firstEventAt: 1000, now: 2999))
        #expect(policy.isDue(eventCount: 45, firstEventAt: 1000, now: 1000))
        #expect(policy.isDue(eventCount: 1, firstEventAt: 1000, now: 3000))
    }
}
