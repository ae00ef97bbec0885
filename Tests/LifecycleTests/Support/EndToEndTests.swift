import Testing

/// Every suite that runs the extension under lambda-sim nests in here, so they run one at a time:
/// on a 2-core machine, parallel simulations would starve each other's timers and make the
/// "never past the deadline" checks measure the machine rather than the extension.
@Suite("End to end", .serialized)
enum EndToEndTests {}
