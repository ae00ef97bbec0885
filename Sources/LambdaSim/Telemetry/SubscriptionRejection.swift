/// Why a subscription request was refused.
struct SubscriptionRejection: Error, Sendable {
    let message: String
    init(_ message: String) { self.message = message }
}
