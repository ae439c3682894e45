/// Where a trainer's examples come from: an array in memory, or a file of tokenized examples
/// read a micro-batch at a time (`TokenizedExampleFile`), so that memory does not grow with
/// the tokens of the training set.
///
/// The trainer asks for lengths and target counts of any example (for the plan, the loss scale
/// and each rank's share) without reading it, and reads only the examples it runs.
public protocol TrainingExampleSource: Sendable {
    var count: Int { get }
    /// Tokens of example `i`.
    func length(_ i: Int) -> Int
    /// Tokens of example `i` that take a loss (`TrainingExample.targetCount`).
    func targetCount(_ i: Int) -> Int
    /// Example `i`, read.
    func example(_ i: Int) throws -> TrainingExample
    /// Every example in order (a file reads them sequentially).
    func forEachExample(_ body: (TrainingExample) throws -> Void) throws
    /// Every example's length, in one pass.
    func allLengths() throws -> [Int]
    /// The distinct tasks of the examples, in name order.
    func tasks() throws -> [String]
}

extension TrainingExampleSource {
    public func forEachExample(_ body: (TrainingExample) throws -> Void) throws {
        for i in 0..<count { try body(try example(i)) }
    }

    public func allLengths() throws -> [Int] { (0..<count).map { length($0) } }

    public func tasks() throws -> [String] {
        var names = Set<String>()
        try forEachExample { if let t = $0.task { names.insert(t) } }
        return names.sorted()
    }

    /// Examples `indices`, read.
    public func examples(_ indices: some Sequence<Int>) throws -> [TrainingExample] {
        try indices.map { try example($0) }
    }
}

extension Array: TrainingExampleSource where Element == TrainingExample {
    public func length(_ i: Int) -> Int { self[i].tokens.count }
    public func targetCount(_ i: Int) -> Int { self[i].targetCount }
    public func example(_ i: Int) throws -> TrainingExample { self[i] }
}

/// `trainingDataFingerprint` of any source, reading its examples once in order.
public func trainingDataFingerprint(_ source: some TrainingExampleSource) throws -> String {
    var digest = TrainingDataDigest(count: source.count)
    try source.forEachExample { digest.add($0) }
    return digest.hex
}
