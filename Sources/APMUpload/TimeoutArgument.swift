import ArgumentParser

/// `--timeout`: seconds (`10`, `2.5`) or with a unit as the extension's variables take them
/// (`500ms`, `30s`, `2m`).
struct TimeoutArgument: ExpressibleByArgument, Sendable, Equatable {
    let duration: Duration

    init(_ duration: Duration) {
        self.duration = duration
    }

    init?(argument: String) {
        let units: [(suffix: String, milliseconds: Double)] = [("ms", 1), ("s", 1000), ("m", 60_000)]
        var number = Substring(argument)
        var scale = 1000.0
        for unit in units where argument.hasSuffix(unit.suffix) {
            number = argument.dropLast(unit.suffix.count)
            scale = unit.milliseconds
            break
        }
        guard let value = Double(number), value.isFinite, value > 0 else { return nil }
        let milliseconds = (value * scale).rounded(.up)
        guard milliseconds <= 86_400_000 else { return nil }
        duration = .milliseconds(Int64(milliseconds))
    }

    var defaultValueDescription: String { "\(duration.milliseconds / 1000)s" }
}
