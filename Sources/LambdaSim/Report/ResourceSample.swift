/// The extension's resources after an invocation: what a soak compares between its start and end.
public struct ResourceSample: Codable, Sendable, Equatable {
    /// After this many invocations.
    public var invocations: Int
    /// `VmRSS` and `VmHWM` in KiB.
    public var residentKB: Int
    public var peakResidentKB: Int
    /// Entries in `/proc/<pid>/fd`.
    public var openFileDescriptors: Int
    /// CPU time (user + system, all threads, from `/proc/<pid>/stat`) used so far, in ms; its
    /// resolution is the kernel's clock tick (10 ms).
    public var cpuMilliseconds: Double? = nil
}
