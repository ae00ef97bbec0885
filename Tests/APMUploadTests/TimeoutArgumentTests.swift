@testable import APMUpload
import Testing
import Transport

@Suite("TimeoutArgument")
struct TimeoutArgumentTests {
    @Test(arguments: [
        ("10", 10_000), ("2.5", 2500), ("500ms", 500), ("30s", 30_000), ("2m", 120_000), ("1.5s", 1500),
    ])
    func parsesTimeouts(argument: String, milliseconds: Int64) {
        #expect(TimeoutArgument(argument: argument)?.duration.milliseconds == milliseconds)
    }

    @Test(arguments: ["", "0", "-1", "abc", "10h", "ms", "inf"])
    func refusesBadTimeouts(argument: String) {
        #expect(TimeoutArgument(argument: argument) == nil)
    }
}
