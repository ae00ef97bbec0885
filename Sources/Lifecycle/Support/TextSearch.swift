/// Finding text in text with the standard library alone. `contains(_:)` and `firstRange(of:)` on
/// strings come from `_StringProcessing` (the regex engine), which a statically linked binary then
/// carries whole (0.9 MB of the Lambda layer's extension) for these few calls.
extension StringProtocol {
    /// The first range of `text`, compared by `Character` like `firstRange(of:)`; nil when absent or empty.
    func rangeOfText(_ text: String) -> Range<Index>? {
        guard !text.isEmpty else { return nil }
        var index = startIndex
        while index < endIndex {
            let rest = self[index...]
            if rest.hasPrefix(text) {
                return index..<rest.index(index, offsetBy: text.count)
            }
            index = self.index(after: index)
        }
        return nil
    }

    /// Whether `text` occurs here (false for empty `text`).
    func containsText(_ text: String) -> Bool { rangeOfText(text) != nil }
}
