import Testing
import Transport

#if canImport(Glibc)
import Glibc
#endif

@Suite("Jitter")
struct JitterTests {
    /// `fork` copies this process's memory as a SnapStart restore copies a snapshot's: whatever
    /// a generator keeps in memory, both copies would then draw the same values.
    @Test("two copies of one process draw different jitter")
    func copiesDrawDifferently() throws {
        _ = Jitter.draw() // anything drawing sets up first happens before the copy
        var pipeEnds: [Int32] = [0, 0]
        try #require(pipe(&pipeEnds) == 0)
        let child = fork()
        try #require(child >= 0)
        var draws = (Jitter.draw(), Jitter.draw(), Jitter.draw(), Jitter.draw())
        if child == 0 {
            // The copy: hand its draws over and end, running nothing else of the test process.
            _ = withUnsafeBytes(of: &draws) { write(pipeEnds[1], $0.baseAddress, $0.count) }
            _exit(0)
        }
        close(pipeEnds[1])
        var copysDraws = (0.0, 0.0, 0.0, 0.0)
        let read = withUnsafeMutableBytes(of: &copysDraws) { Glibc.read(pipeEnds[0], $0.baseAddress, $0.count) }
        close(pipeEnds[0])
        var status: Int32 = 0
        waitpid(child, &status, 0)
        try #require(read == MemoryLayout.size(ofValue: copysDraws))
        #expect([draws.0, draws.1, draws.2, draws.3] != [copysDraws.0, copysDraws.1, copysDraws.2, copysDraws.3])
        #expect([draws.0, draws.1, draws.2, draws.3].allSatisfy { (0..<1).contains($0) })
    }
}
