@testable import APMUpload
import Testing

@Suite("ProgressLine")
struct ProgressLineTests {
    @Test func progressOnlyForLargeInputsOnATerminal() {
        #expect(ProgressLine.wanted(totalBytes: 2 << 20, stderrIsTerminal: true, verbose: false))
        #expect(!ProgressLine.wanted(totalBytes: 2 << 20, stderrIsTerminal: false, verbose: false))
        #expect(!ProgressLine.wanted(totalBytes: 1 << 20, stderrIsTerminal: true, verbose: false))
        #expect(!ProgressLine.wanted(totalBytes: 2 << 20, stderrIsTerminal: true, verbose: true))
        #expect(ProgressLine.megabytes(1_572_864) == "1.5 MiB")
    }
}
