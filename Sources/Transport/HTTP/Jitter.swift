/// Where the jitter of retries and grace periods comes from: the kernel, at every draw.
///
/// Never from a generator seeded once and kept in memory: every copy restored from a SnapStart
/// snapshot would hold the same state and back off in step with the others, the very thing
/// jitter is for.
public enum Jitter {
    /// Uniform in 0..<1.
    public static func draw() -> Double {
        var kernel = SystemRandomNumberGenerator()
        return Double.random(in: 0..<1, using: &kernel)
    }
}
