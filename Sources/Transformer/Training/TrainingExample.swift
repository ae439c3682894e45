/// One tokenized training sequence and the part of it that takes a loss.
///
/// A causal LM predicts token i+1 from tokens 0…i, so the loss covers the tokens from
/// `lossStart` to the end: with the loss on the response only, `lossStart` is the response's
/// first token (the prompt is context only); with the loss on everything it is 1 (the first
/// token has nothing before it to be predicted from).
public struct TrainingExample: Sendable, Equatable {
    public var tokens: [Int32]
    /// Index of the first token the model is trained to predict (at least 1).
    public var lossStart: Int
    /// The task the example belongs to (e.g. `cell_type_prediction`), for the loss of each
    /// task in the metrics; not part of the data fingerprint.
    public var task: String?

    public init(tokens: [Int32], lossStart: Int, task: String? = nil) {
        precondition(!tokens.isEmpty, "a training example has at least one token")
        self.tokens = tokens
        self.lossStart = min(max(1, lossStart), tokens.count)
        self.task = task
    }

    /// Tokens that take a loss.
    public var targetCount: Int { tokens.count - lossStart }
}

extension TrainingBatch {
    /// The examples concatenated, with targets shifted by one: position i of an example
    /// predicts token i+1 when i+1 ≥ `lossStart`, otherwise (and at the example's last
    /// position) it takes no loss.
    public init(examples: some Collection<TrainingExample>) {
        var tokens: [Int32] = [], lengths: [Int] = [], targets: [Int32] = []
        let total = examples.reduce(0) { $0 + $1.tokens.count }
        tokens.reserveCapacity(total)
        targets.reserveCapacity(total)
        for example in examples {
            let t = example.tokens
            tokens += t
            lengths.append(t.count)
            for i in 0..<t.count {
                targets.append(i + 1 < t.count && i + 1 >= example.lossStart ? t[i + 1] : TrainingBatch.ignored)
            }
        }
        self.init(tokens: tokens, lengths: lengths, targets: targets)
    }
}

/// A 64-bit FNV-1a digest of training examples (tokens, boundaries, order), stored with a
/// checkpoint so that resuming on different data — another tokenizer, another prompt file,
/// other truncation — is caught instead of silently continuing a different run.
public func trainingDataFingerprint(_ examples: [TrainingExample]) -> String {
    var digest = TrainingDataDigest(count: examples.count)
    for e in examples { digest.add(e) }
    return digest.hex
}

/// The FNV-1a state behind `trainingDataFingerprint`, fed one example at a time (so a file of
/// examples is fingerprinted without holding it).
public struct TrainingDataDigest: Sendable {
    private var h: UInt64 = 0xcbf2_9ce4_8422_2325

    public init(count: Int) { mix(UInt64(count)) }

    @inline(__always) private mutating func mix(_ v: UInt64) {
        var x = v
        for _ in 0..<8 {
            h = (h ^ (x & 0xff)) &* 0x0000_0100_0000_01b3
            x >>= 8
        }
    }

    public mutating func add(_ e: TrainingExample) {
        mix(UInt64(e.tokens.count))
        mix(UInt64(e.lossStart))
        for t in e.tokens { mix(UInt64(UInt32(bitPattern: t))) }
    }

    public var hex: String {
        let digits = String(h, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
