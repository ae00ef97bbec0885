@testable import Lifecycle
import Testing

@Suite("Text search without _StringProcessing")
struct TextSearchTests {
    @Test("finds the first occurrence, by Character, like firstRange(of:)")
    func firstRange() {
        let text = "a\\nb\\nc"
        let range = text.rangeOfText("\\n")
        #expect(range.map { text[..<$0.lowerBound] } == "a")
        #expect(range.map { text[$0.upperBound...] } == "b\\nc")
        #expect("http://localhost:8200/".containsText("localhost:8200"))
        #expect(!"http://localhost:82".containsText("localhost:8200"))
        #expect(!"abc".containsText(""))
        #expect("-----BEGIN CERTIFICATE-----".containsText("-----BEGIN"))
        // "e" followed by a combining accent is one Character: no match for a bare "e".
        #expect(!"cafe\u{301}".containsText("e"))
        #expect("x".rangeOfText("xy") == nil)
    }
}
