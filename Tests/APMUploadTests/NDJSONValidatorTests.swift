@testable import APMUpload
import Testing

@Suite("NDJSONValidator")
struct NDJSONValidatorTests {
    static func validate(_ text: String) throws(NDJSONProblem) -> [NDJSONLine] {
        try NDJSONValidator.validate(Array(text.utf8))
    }

    @Test func acceptsEveryEventTypeAndSkipsBlankLinesCountingThem() throws {
        let text = "\u{FEFF}{\"metadata\":{}}\r\n\n  \n" + ["transaction", "span", "error", "metricset", "log"].map { "{\"\($0)\":{}}" }
            .joined(separator: "\n")
        let lines = try Self.validate(text)
        #expect(lines.map(\.kind) == [.metadata, .transaction, .span, .error, .metricset, .log])
        #expect(lines.map(\.number) == [1, 4, 5, 6, 7, 8])
        // The line's bytes exclude the BOM and the CR.
        let bytes = Array(text.utf8)
        #expect(String(decoding: bytes[lines[0].range], as: UTF8.self) == #"{"metadata":{}}"#)
    }

    @Test(arguments: [
        ("", 0, "no events: the input is empty"),
        ("\n\n", 0, "no events: the input is empty"),
        (#"{"transaction":{}}"#, 1, "the first line must be metadata, not transaction"),
        ("{\"metadata\":{}}\n{\"span\":{}", 2, "not valid JSON"),
        ("{\"metadata\":{}}\n[1]", 2, "not a JSON object but an array"),
        ("{\"metadata\":{}}\n{}", 2, "an empty object"),
        ("{\"metadata\":{}}\n{\"span\":{},\"error\":{}}", 2, #"2 keys ("span", "error"); a line has exactly one"#),
        ("{\"metadata\":{}}\n\n{\"trace\":{}}", 3, #"unknown event type "trace""#),
        ("{\"metadata\":{}}\n{\"log\":\"hello\"}", 2, #"the value of "log" is a string, not an object"#),
        ("{\"metadata\":{}}\n{\"log\":{}}\n{\"log\":{}} x", 3, "not valid JSON"),
    ])
    func reportsTheFirstBadLineWithItsNumberAndWhy(text: String, line: Int, reason: String) {
        #expect {
            _ = try Self.validate(text)
        } throws: { error in
            guard let problem = error as? NDJSONProblem else { return false }
            return problem.lineNumber == line && problem.reason.contains(reason)
        }
    }

    @Test func theExcerptIsShortened() {
        let long = "{\"metadata\":{}}\n{\"span\":\"" + String(repeating: "a", count: 500) + "\"}"
        #expect {
            _ = try Self.validate(long)
        } throws: { error in
            (error as? NDJSONProblem)?.excerpt.count == NDJSONValidator.excerptLength + 1
        }
    }
}
