/// A valid line of an input: where it is and what it holds.
struct NDJSONLine: Sendable, Equatable {
    /// 1-based, counting blank lines, as an editor shows it.
    let number: Int
    let kind: EventKind
    /// The line's bytes in the input, without its line break.
    let range: Range<Int>
}
