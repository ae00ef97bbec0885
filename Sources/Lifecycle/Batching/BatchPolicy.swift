/// When a batch ships on its own (besides every flush of the run loop).
package struct BatchPolicy: Sendable, Equatable {
    /// The most events a batch should hold.
    package var maxEvents = 50
    /// A batch ships at this share of `maxEvents`.
    package var fillRatio = 0.9
    /// A batch ships once its first event is this old.
    package var maxAgeMilliseconds: UInt64 = 2000

    package init() {}

    /// Whether a batch with `eventCount` events, the first added at `firstEventAt`, should ship at `now`.
    package func isDue(eventCount: Int, firstEventAt: UInt64?, now: UInt64) -> Bool {
        guard eventCount > 0 else { return false }
        if Double(eventCount) >= Double(maxEvents) * fillRatio { return true }
        guard let firstEventAt else { return false }
        return now >= firstEventAt + maxAgeMilliseconds
    }
}
