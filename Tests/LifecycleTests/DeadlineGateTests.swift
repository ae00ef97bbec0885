@testable import Lifecycle
import Testing
import Transport

@Suite("Deadline gate")
struct DeadlineGateTests {
    @Test("an open gate does not wait; a closed one waits until opened")
    func opens() async {
        let gate = DeadlineGate(open: true)
        await gate.wait(until: .after(.seconds(60)))
        gate.close()
        async let waited: Void = gate.wait(until: .after(.seconds(60)))
        gate.open()
        await waited
        #expect(gate.isOpen)
    }

    @Test("a closed gate lets its waiters go at their deadline")
    func deadline() async {
        let gate = DeadlineGate(open: false)
        await gate.wait(until: .after(milliseconds: 20))
        await gate.wait(until: .after(milliseconds: -5))
        #expect(!gate.isOpen)
    }

    @Test("many waiters are all released by one open")
    func manyWaiters() async {
        let gate = DeadlineGate(open: false)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<50 { group.addTask { await gate.wait(until: .after(.seconds(60))) } }
            group.addTask { gate.open() }
        }
        #expect(gate.isOpen)
    }
}
