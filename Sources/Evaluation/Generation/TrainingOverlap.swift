import SingleCell

/// How close generated cells come to the cells the model was trained on, beside how close
/// held-out real cells come to them: a memorisation check.
///
/// A generator that copies its training sentences scores well on every metric computed against
/// real cells (a copied training cell *is* a real cell of its type), and oversampling small
/// types during training (label-balanced examples) makes copying more tempting. So for each
/// cell of a query set this finds the training cell whose first `genes` genes overlap its own
/// most (Jaccard index of the two gene sets) and summarises that nearest overlap. Held-out real
/// cells of the same data are the reference: they were never trained on, so their nearest
/// overlap is what "a new cell of this population" looks like. Generated cells well above it
/// are near-copies; near it, new cells.
public struct TrainingOverlap: Codable, Sendable, Equatable {
    /// Genes of each sentence compared (its first ones).
    public var genes: Int
    /// Training cells compared against.
    public var trainingCells: Int
    /// Nearest overlap at or above which a cell counts as a near-copy.
    public var nearCopyThreshold: Double
    public var generated: Summary
    /// Held-out real cells: the reference.
    public var heldOut: Summary
    /// Median nearest overlap of each label's generated and held-out cells (labels of either set).
    public var perLabel: [LabelRow]

    /// One set's nearest overlaps.
    public struct Summary: Codable, Sendable, Equatable {
        public var cells: Int
        public var mean: Double
        public var median: Double
        /// 90th percentile (linear interpolation, as numpy's default).
        public var p90: Double
        /// Share of cells whose nearest overlap is at least the near-copy threshold.
        public var nearCopies: Double
        /// Cells whose first genes, in order, equal some training cell's.
        public var exactCopies: Int

        enum CodingKeys: String, CodingKey {
            case cells, mean, median, p90
            case nearCopies = "near_copies", exactCopies = "exact_copies"
        }
    }

    public struct LabelRow: Codable, Sendable, Equatable {
        public var label: String
        public var generatedCells: Int
        public var generatedMedian: Double?
        public var heldOutCells: Int
        public var heldOutMedian: Double?

        enum CodingKeys: String, CodingKey {
            case label
            case generatedCells = "generated_cells", generatedMedian = "generated_median"
            case heldOutCells = "held_out_cells", heldOutMedian = "held_out_median"
        }
    }

    enum CodingKeys: String, CodingKey {
        case genes, generated, perLabel = "per_label"
        case trainingCells = "training_cells", nearCopyThreshold = "near_copy_threshold", heldOut = "held_out"
    }

    /// A sentence as gene words and its label (nil where the set has none).
    public typealias Cell = (words: [String], label: String?)

    /// Compares `generated` and `heldOut` with `training`, each cell by its first `genes` words.
    public init(generated: [Cell], heldOut: [Cell], training: [[String]], genes: Int, nearCopyThreshold: Double = 0.9) throws {
        guard genes >= 1 else { throw DataError("the overlap needs at least one gene per sentence") }
        guard !training.isEmpty else { throw DataError("the overlap needs at least one training cell") }
        self.genes = genes
        self.trainingCells = training.count
        self.nearCopyThreshold = nearCopyThreshold
        var index = GeneIndex()
        let train = training.map { index.ids(Array($0.prefix(genes))) }
        let nearest = NearestOverlap(training: train.map(\.set), geneCount: index.count)
        let trainSequences = Set(train.map(\.sequence))
        func summarise(_ cells: [Cell]) -> (Summary, [Double]) {
            let ids = cells.map { index.lookup(Array($0.words.prefix(genes))) }
            let overlaps = ids.map { nearest.best($0) }
            let copies = ids.filter { trainSequences.contains($0.sequence) }.count
            return (Summary(overlaps, threshold: nearCopyThreshold, exactCopies: copies), overlaps)
        }
        let (g, gOverlaps) = summarise(generated)
        let (h, hOverlaps) = summarise(heldOut)
        self.generated = g
        self.heldOut = h
        var byLabel: [String: ([Double], [Double])] = [:]
        for (cell, o) in zip(generated, gOverlaps) { if let l = cell.label { byLabel[l, default: ([], [])].0.append(o) } }
        for (cell, o) in zip(heldOut, hOverlaps) { if let l = cell.label { byLabel[l, default: ([], [])].1.append(o) } }
        perLabel = byLabel.keys.sorted().map { l in
            let (a, b) = byLabel[l]!
            return LabelRow(label: l, generatedCells: a.count, generatedMedian: a.isEmpty ? nil : Self.percentile(a.sorted(), 0.5),
                            heldOutCells: b.count, heldOutMedian: b.isEmpty ? nil : Self.percentile(b.sorted(), 0.5))
        }
    }

    /// numpy's default percentile (linear interpolation between closest ranks) of sorted values.
    static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let position = q * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        return sorted[lower] + (position - Double(lower)) * (sorted[upper] - sorted[lower])
    }
}

extension TrainingOverlap.Summary {
    init(_ overlaps: [Double], threshold: Double, exactCopies: Int) {
        let sorted = overlaps.sorted()
        cells = overlaps.count
        mean = overlaps.isEmpty ? .nan : overlaps.reduce(0, +) / Double(overlaps.count)
        median = TrainingOverlap.percentile(sorted, 0.5)
        p90 = TrainingOverlap.percentile(sorted, 0.9)
        nearCopies = overlaps.isEmpty ? .nan : Double(overlaps.filter { $0 >= threshold }.count) / Double(overlaps.count)
        self.exactCopies = exactCopies
    }
}

/// Gene words as dense ids; a query gene the training cells never had gets no id (it can match nothing).
private struct GeneIndex {
    private var ids: [String: Int32] = [:]
    var count: Int { ids.count }

    /// Ids of a training sentence, adding new genes: the ordered sequence and the distinct set.
    mutating func ids(_ words: [String]) -> (sequence: [Int32], set: [Int32]) {
        let sequence = words.map { w -> Int32 in
            if let id = ids[w] { return id }
            let id = Int32(ids.count)
            ids[w] = id
            return id
        }
        return (sequence, Array(Set(sequence)))
    }

    /// Ids of a query sentence: unknown genes become -1 in the sequence and are left out of the
    /// set, but still count in the set's size (they are genes the training cell lacks).
    func lookup(_ words: [String]) -> (sequence: [Int32], set: [Int32], size: Int) {
        let sequence = words.map { ids[$0] ?? -1 }
        return (sequence, Array(Set(sequence.filter { $0 >= 0 })), Set(words).count)
    }
}

/// The largest Jaccard index between a query gene set and any training gene set, through an
/// inverted index (gene -> training cells holding it), so the work is the query's genes'
/// postings rather than every pair.
private struct NearestOverlap {
    let sizes: [Int32]
    let postings: [[Int32]]

    init(training: [[Int32]], geneCount: Int) {
        sizes = training.map { Int32($0.count) }
        var postings = [[Int32]](repeating: [], count: geneCount)
        for (cell, genes) in training.enumerated() { for g in genes { postings[Int(g)].append(Int32(cell)) } }
        self.postings = postings
    }

    func best(_ query: (sequence: [Int32], set: [Int32], size: Int)) -> Double {
        guard query.size > 0 else { return 0 }
        var shared = [Int32](repeating: 0, count: sizes.count)
        for g in query.set { for cell in postings[Int(g)] { shared[Int(cell)] += 1 } }
        var best = 0.0
        for cell in 0 ..< sizes.count where shared[cell] > 0 {
            let both = Double(shared[cell])
            best = max(best, both / (Double(query.size) + Double(sizes[cell]) - both))
        }
        return best
    }
}
