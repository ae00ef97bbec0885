import Testing
import Transport

@Suite("Retry schedule")
struct RetryScheduleTests {
    private static let refused = AttemptOutcome(status: 0, failure: .connect, connected: false)

    private func delay(_ decision: RetryDecision) -> Duration? {
        if case .retry(let after) = decision { after } else { nil }
    }

    @Test("waits double from the initial delay and stops growing at the cap")
    func exponentialGrowthAndCap() {
        let schedule = RetrySchedule(policy: RetryPolicy(
            maxAttempts: 10, initialDelay: .milliseconds(100), maxDelay: .milliseconds(1000), jitter: 0))
        let delays = (1...6).map { delay(schedule.decision(after: $0, outcome: Self.refused, random: 0.5, timeLeft: nil)) }
        #expect(delays == [100, 200, 400, 800, 1000, 1000].map { .milliseconds($0) })
    }

    @Test("jitter moves a wait by at most its share, down at random 0 and up towards random 1")
    func jitterBounds() {
        let schedule = RetrySchedule(policy: RetryPolicy(maxAttempts: 3, initialDelay: .milliseconds(1000), jitter: 0.1))
        #expect(delay(schedule.decision(after: 1, outcome: Self.refused, random: 0, timeLeft: nil)) == .milliseconds(900))
        #expect(delay(schedule.decision(after: 1, outcome: Self.refused, random: 0.5, timeLeft: nil)) == .milliseconds(1000))
        let highest = delay(schedule.decision(after: 1, outcome: Self.refused, random: 0.999_999_9, timeLeft: nil))
        #expect(highest.map { $0 >= .milliseconds(1099) && $0 <= .milliseconds(1100) } == true)
        // The cap applies before the jitter, as the jitter's purpose is to spread retries apart.
        let capped = RetrySchedule(policy: RetryPolicy(
            maxAttempts: 9, initialDelay: .milliseconds(1000), maxDelay: .milliseconds(2000), jitter: 0.1))
        #expect(delay(capped.decision(after: 5, outcome: Self.refused, random: 0, timeLeft: nil)) == .milliseconds(1800))
    }

    @Test("Retry-After raises a shorter wait and never shortens a longer one")
    func retryAfterRaisesTheDelay() {
        let schedule = RetrySchedule(policy: RetryPolicy(
            maxAttempts: 9, initialDelay: .milliseconds(100), maxDelay: .seconds(60), jitter: 0))
        let busy = AttemptOutcome(status: 503, retryAfterSeconds: 2)
        #expect(delay(schedule.decision(after: 1, outcome: busy, random: 0.5, timeLeft: nil)) == .seconds(2))
        #expect(delay(schedule.decision(after: 7, outcome: busy, random: 0.5, timeLeft: nil)) == .milliseconds(6400))
        #expect(delay(schedule.decision(after: 1, outcome: AttemptOutcome(status: 429), random: 0.5, timeLeft: nil)) == .milliseconds(100))
    }

    @Test("no retry that could not start before the deadline, and none past the attempts allowed")
    func deadlineAndAttemptsStopRetries() {
        let schedule = RetrySchedule(policy: RetryPolicy(maxAttempts: 3, initialDelay: .milliseconds(100), jitter: 0))
        #expect(schedule.decision(after: 1, outcome: Self.refused, random: 0.5, timeLeft: .milliseconds(101)) == .retry(after: .milliseconds(100)))
        #expect(schedule.decision(after: 1, outcome: Self.refused, random: 0.5, timeLeft: .milliseconds(100)) == .stop)
        #expect(schedule.decision(after: 1, outcome: Self.refused, random: 0.5, timeLeft: .milliseconds(-5)) == .stop)
        let longWait = AttemptOutcome(status: 503, retryAfterSeconds: 5)
        #expect(schedule.decision(after: 1, outcome: longWait, random: 0.5, timeLeft: .seconds(4)) == .stop)
        #expect(schedule.decision(after: 2, outcome: Self.refused, random: 0.5, timeLeft: nil) == .retry(after: .milliseconds(200)))
        #expect(schedule.decision(after: 3, outcome: Self.refused, random: 0.5, timeLeft: nil) == .stop)
        #expect(RetrySchedule(policy: .none).decision(after: 1, outcome: Self.refused, random: 0.5, timeLeft: nil) == .stop)
    }

    @Test("only failures before any answer retry, and 429/503 when the policy says so")
    func whichOutcomesRetry() {
        let schedule = RetrySchedule(policy: RetryPolicy(maxAttempts: 2))
        let retried: [AttemptOutcome] = [
            Self.refused,
            AttemptOutcome(status: 0, failure: .receive, connected: true), // reset or empty reply
            AttemptOutcome(status: 0, failure: .send, connected: true),
            AttemptOutcome(status: 0, failure: .timeout, connected: false), // connect timeout
            AttemptOutcome(status: 503), AttemptOutcome(status: 429),
        ]
        let final: [AttemptOutcome] = [
            AttemptOutcome(status: 200), AttemptOutcome(status: 500), AttemptOutcome(status: 502), AttemptOutcome(status: 404),
            AttemptOutcome(status: 0, failure: .timeout, connected: true), // accepted, then hung
            AttemptOutcome(status: 200, failure: .receive, connected: true), // broke off inside an answer
            AttemptOutcome(status: 0, failure: .tls, connected: true),
            AttemptOutcome(status: 0, failure: .resolve, connected: false),
            AttemptOutcome(status: 0, failure: .cancelled, connected: true),
            AttemptOutcome(status: 200, failure: .tooLarge, connected: true),
        ]
        for outcome in retried { #expect(schedule.retries(outcome), "\(outcome)") }
        for outcome in final { #expect(!schedule.retries(outcome), "\(outcome)") }
        let notUnavailable = RetrySchedule(policy: RetryPolicy(maxAttempts: 2, retriesUnavailable: false))
        #expect(!notUnavailable.retries(AttemptOutcome(status: 503)))
        #expect(!notUnavailable.retries(AttemptOutcome(status: 429)))
        #expect(notUnavailable.retries(Self.refused))
    }

    @Test("the client draws each retry's jitter from the source it is given")
    func clientUsesTheInjectedJitter() async throws {
        let client = try HTTPClient()
        try await TestHTTPServer.with(behaviour: { _, index in .respond(status: index < 2 ? 503 : 202) }) { server in
            var draws = 0
            let response = try await client.execute(
                HTTPRequest(
                    url: "http://127.0.0.1:\(server.port)/", deadline: .after(.seconds(10)),
                    retry: RetryPolicy(maxAttempts: 3, initialDelay: .milliseconds(20), jitter: 0.5)),
                jitter: {
                    draws += 1
                    return 0
                })
            #expect(response.status == 202)
            #expect(response.retryDelays == [.milliseconds(10), .milliseconds(20)])
            #expect(draws == 2)
        }
    }
}

