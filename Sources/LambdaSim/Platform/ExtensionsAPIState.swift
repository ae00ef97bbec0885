import Foundation

/// The Extensions API's side of the conversation with the one extension: its registration, its
/// `/event/next` calls (each a moment the simulator can wait for), the event it is to receive
/// next, and the errors it reported.
actor ExtensionsAPIState {
    struct Registration: Sendable {
        let name: String
        let identifier: String
        let atMs: Double
    }

    private let clock: SimulationClock
    private(set) var registration: Registration?
    let registered = OneShotEvent<Double>()
    /// Times of the `/event/next` calls, in order; call 1 ends init.
    private(set) var nextCallTimes: [Double] = []
    private var nextCallEvents: [Int: OneShotEvent<Double>] = [:]
    private var abandoned = false
    private var waitingNext: CheckedContinuation<PlatformEvent?, Never>?
    private var queuedEvents: [PlatformEvent] = []
    private(set) var initErrors: [RecordedError] = []
    /// When registrations were refused (the scenario's `registrationFailure`).
    private(set) var failedRegistrationTimes: [Double] = []
    private(set) var exitErrors: [RecordedError] = []

    init(clock: SimulationClock) {
        self.clock = clock
    }

    // MARK: What the extension does

    func register(name: String) -> Registration {
        // Lambda hands out a random UUID; its exact value has no meaning.
        let registration = Registration(name: name, identifier: UUID().uuidString.lowercased(), atMs: clock.elapsedMs())
        self.registration = registration
        registered.fire(registration.atMs)
        return registration
    }

    func isValid(identifier: String?) -> Bool {
        guard let identifier, let registration else { return false }
        return identifier == registration.identifier
    }

    /// An `/event/next` call: recorded at once, answered when the simulator delivers an event
    /// (nil when the simulation is over).
    func next() async -> PlatformEvent? {
        let time = clock.elapsedMs()
        nextCallTimes.append(time)
        nextCallEvent(number: nextCallTimes.count).fire(time)
        if !queuedEvents.isEmpty { return queuedEvents.removeFirst() }
        if abandoned { return nil }
        // A previous long-poll whose client went away is superseded by this one.
        waitingNext?.resume(returning: nil)
        return await withCheckedContinuation { waitingNext = $0 }
    }

    func registrationFailed() {
        failedRegistrationTimes.append(clock.elapsedMs())
    }

    func recordError(initPhase: Bool, type: String?, identifier: String?, body: String) {
        let error = RecordedError(type: type, identifier: identifier, body: body, atMs: clock.elapsedMs())
        if initPhase { initErrors.append(error) } else { exitErrors.append(error) }
    }

    // MARK: What the simulator does

    /// The moment of the `number`-th `/event/next` call (1-based), to wait on.
    func nextCallEvent(number: Int) -> OneShotEvent<Double> {
        if let event = nextCallEvents[number] { return event }
        let event = OneShotEvent<Double>()
        if number <= nextCallTimes.count {
            event.fire(nextCallTimes[number - 1])
        } else if abandoned {
            event.abandon()
        }
        nextCallEvents[number] = event
        return event
    }

    var nextCallCount: Int { nextCallTimes.count }

    /// Answers the pending `/event/next`, or the next one to come.
    func deliver(_ event: PlatformEvent) {
        if let waiting = waitingNext {
            waitingNext = nil
            waiting.resume(returning: event)
        } else {
            queuedEvents.append(event)
        }
    }

    /// The extension is gone or the simulation is over: nothing it was to do will happen.
    func abandon() {
        abandoned = true
        registered.abandon()
        for event in nextCallEvents.values { event.abandon() }
        waitingNext?.resume(returning: nil)
        waitingNext = nil
    }
}
